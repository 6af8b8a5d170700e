/**
 * Identical subgraph requests in flight at the same time are sent once: the
 * same subgraph, the same operation text, the same variables and the same
 * caller (the signed identity, never shared across callers). The first
 * request goes out; the others wait for its answer and each get their own
 * copy of it (the gateway merges later fetches into what it receives).
 *
 * Only queries: a subgraph operation is shared only when it is a query and
 * the client's operation is a query too, so a mutation (and everything a
 * mutation's plan fetches after it) or a subscription event always reaches
 * the subgraph itself. Nothing is kept once the answer is in: this is not a
 * cache. The subgraph sees the first request's request id.
 */
import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayContext } from '../context';
import { answerText } from './subgraphFetcher';

type Response = Awaited<ReturnType<GraphQLDataSource['process']>>;

export function dedupeSubgraphRequests(
  name: string,
  source: GraphQLDataSource<GatewayContext>,
): GraphQLDataSource<GatewayContext> {
  const inFlight = new Map<string, Promise<Response>>();
  return {
    process(options) {
      const key = requestKey(name, options);
      if (key === undefined) return source.process(options);
      const pending = inFlight.get(key);
      if (pending) return pending.then(copy);
      const sent = source.process(options).finally(() => inFlight.delete(key));
      inFlight.set(key, sent);
      return sent;
    },
  };
}

/** What makes two subgraph requests the same, or undefined for one that must go out by itself. */
function requestKey(name: string, options: GraphQLDataSourceProcessOptions<GatewayContext>): string | undefined {
  // Only a client's operation; health checks and schema loading carry no incoming request.
  if (!('incomingRequestContext' in options)) return undefined;
  const { query, variables } = options.request;
  const caller = options.context?.caller;
  if (!query || !caller || options.incomingRequestContext.operation?.operation !== 'query' || !isQuery(query)) return undefined;
  return JSON.stringify([name, caller.id, caller.kind, caller.scopes, query, variables ?? null]);
}

/** A subgraph operation the query planner printed as a query (`query ...` or `{ ... }`). */
function isQuery(operation: string): boolean {
  const text = operation.trimStart();
  return text.startsWith('{') || /^query\b/.test(text);
}

/**
 * A waiter's own copy of the answer: its data parsed again from the
 * subgraph's answer text when the fetcher kept it (about twice as fast as a
 * structured clone, and untouched by what the first caller's gateway has
 * merged into its copy meanwhile), else cloned; errors, extensions and the
 * HTTP response are only read, so they are shared (an error may be a
 * GraphQLError, whose extensions a structured clone would drop).
 */
function copy(response: Response): Response {
  if (response.data == null) return { ...response };
  const text = answerText(response.http);
  const data = text === undefined ? structuredClone(response.data) : (JSON.parse(text) as { data: unknown }).data;
  return { ...response, data } as Response;
}
