/**
 * How the gateway talks to a subgraph: every request carries the caller,
 * signed (`x-lab-context`, bound to the exact subgraph operation), and the
 * request id. Transport failures become SERVICE_UNAVAILABLE naming the
 * subgraph; a subgraph refusing our signature is our misconfiguration, so it
 * is logged and surfaces as INTERNAL, not as the client's UNAUTHENTICATED.
 *
 * It does what RemoteGraphQLDataSource does for a gateway like ours (POST
 * the operation as JSON, parse a JSON answer, errors of a non-2xx answer
 * with its body in extensions.response, 401/403 coded, the subgraph's
 * Cache-Control folded into the operation's cache policy) without its
 * per-request node-fetch Headers and Request objects; no APQ.
 */
import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import { CONTEXT_HEADER, type ErrorCode, isErrorCode, type Logger, labError, REQUEST_ID_HEADER, signContext } from '@lab/shared';
import { type DocumentNode, GraphQLError, Kind, OperationTypeNode } from 'graphql';
import type { GatewayContext } from '../context';
import { observeSubgraphFetch } from '../observability/gatewayMetrics';
import { type Fetcher, type FetcherResponse, subgraphFetcher } from './subgraphFetcher';
import { unavailableAnswer } from './unavailableFields';

type Options = GraphQLDataSourceProcessOptions<GatewayContext>;

export class SignedDataSource implements GraphQLDataSource<GatewayContext> {
  /** How requests reach the subgraph; the executor gives every source one shared fetcher. */
  fetcher: Fetcher;

  constructor(
    readonly name: string,
    readonly url: string,
    private readonly secret: string,
    private readonly log: Logger,
    fetcher?: Fetcher,
  ) {
    this.fetcher = fetcher ?? subgraphFetcher();
  }

  /**
   * Every fetch is timed and counted per subgraph in /metrics
   * (observability/gatewayMetrics.ts). An unreachable subgraph answers
   * SERVICE_UNAVAILABLE at each field it would have filled, with its path
   * (unavailableFields.ts), rather than one error without one.
   */
  process(options: Options): Promise<GatewayGraphQLResponse> {
    return observeSubgraphFetch(this.name, async () => {
      try {
        return await this.send(options);
      } catch (err) {
        const code = (err as GraphQLError).extensions?.code;
        const answer =
          code === 'SERVICE_UNAVAILABLE' && 'incomingRequestContext' in options
            ? unavailableAnswer(err as GraphQLError, options.document ?? options.request.query, options.request.variables)
            : undefined;
        if (answer) return answer;
        throw err;
      }
    });
  }

  private async send(options: Options): Promise<GatewayGraphQLResponse> {
    const { request } = options;
    if (!request.query) throw new Error('Missing query');
    const headers: Record<string, string> = {};
    for (const [name, value] of request.http?.headers ?? []) headers[name] = value;
    headers['content-type'] = 'application/json';
    this.sign(options, headers);
    const { query, variables, operationName, extensions } = request;
    const body = JSON.stringify({ query, variables, operationName, extensions });
    let response: FetcherResponse | undefined;
    try {
      response = await this.fetcher(this.url, { method: 'POST', headers, body });
      if (!response.ok) throw await errorFromResponse(response);
      const answer = await parseBody(response);
      if (typeof answer !== 'object' || answer === null || Array.isArray(answer)) {
        throw new Error(`Expected JSON response body, but received: ${answer}`);
      }
      if ('incomingRequestContext' in options) foldCachePolicy(options, response);
      return { ...(answer as GatewayGraphQLResponse), http: response } as GatewayGraphQLResponse;
    } catch (error) {
      this.didEncounterError(error as Error, response, 'incomingRequestContext' in options ? options.context : undefined);
    }
  }

  /** Only client operations are signed; the gateway makes no other subgraph calls with a static supergraph. */
  private sign(options: Options, headers: Record<string, string>): void {
    if (!('incomingRequestContext' in options)) return;
    const { request, context } = options;
    const query = request.query as string;
    headers[REQUEST_ID_HEADER] = context.requestId;
    // The idempotency key goes, signed, only with the subgraph operations that are mutations.
    const idempotencyKey =
      context.idempotencyKey !== undefined && isMutation(options.document, query) ? context.idempotencyKey : undefined;
    headers[CONTEXT_HEADER] = signContext(this.secret, {
      requestId: context.requestId,
      caller: context.caller,
      query,
      idempotencyKey,
    });
  }

  private didEncounterError(error: Error, response: FetcherResponse | undefined, context?: GatewayContext): never {
    const log = context?.log ?? this.log;
    const service = this.name;
    if (!response) {
      log.warn({ err: error, service }, 'subgraph unreachable');
      throw labError('SERVICE_UNAVAILABLE', `Subgraph ${service} is unavailable`, { service });
    }
    if (response.status === 401 || response.status === 403) {
      log.error(
        { service, status: response.status },
        'subgraph refused the signed caller context: is LAB_INTERNAL_SECRET the same everywhere?',
      );
      throw new Error(`subgraph ${service} refused the gateway's signed caller context`);
    }
    const passed = registeredError(error as GraphQLError);
    if (passed) throw labError(passed.code, passed.message, { service });
    if (response.status >= 500) {
      log.warn({ err: error, service, status: response.status }, 'subgraph failed');
      throw labError('SERVICE_UNAVAILABLE', `Subgraph ${service} failed (HTTP ${response.status})`, { service });
    }
    throw error;
  }
}

/** A JSON answer parsed; any other kind of body as text. */
function parseBody(response: FetcherResponse): Promise<unknown> {
  const type = response.headers.get('content-type');
  return type?.startsWith('application/json') || type?.startsWith('application/graphql-response+json')
    ? response.json()
    : response.text();
}

/** A non-2xx answer as an error carrying the answer (url, status, body), coded for 401 and 403. */
async function errorFromResponse(response: FetcherResponse): Promise<GraphQLError> {
  const body = await parseBody(response);
  const code = response.status === 401 ? 'UNAUTHENTICATED' : response.status === 403 ? 'FORBIDDEN' : undefined;
  const extensions = {
    response: { url: response.url, status: response.status, statusText: response.statusText, body },
    ...(code ? { code } : {}),
  };
  return new GraphQLError(`${response.status}: ${response.statusText}`, { extensions });
}

/** The subgraph's Cache-Control (none: not cacheable) restricts the operation's cache policy. */
function foldCachePolicy(options: Options, response: FetcherResponse): void {
  const policy = 'incomingRequestContext' in options ? options.incomingRequestContext.overallCachePolicy : undefined;
  if (!policy || !('restrict' in policy)) return;
  const header = response.headers.get('cache-control') ?? '';
  const maxAge = /(?:^|,)\s*max-age=(\d+)\s*(?:,|$)/i.exec(header)?.[1];
  const scope = /(?:^|,)\s*private\s*(?:,|$)/i.test(header)
    ? 'PRIVATE'
    : /(?:^|,)\s*public\s*(?:,|$)/i.test(header)
      ? 'PUBLIC'
      : undefined;
  policy.restrict({ maxAge: maxAge === undefined ? 0 : Number(maxAge), ...(scope ? { scope } : {}) } as Parameters<
    typeof policy.restrict
  >[0]);
}

/** Whether a subgraph operation is a mutation (the planner's entity fetches of a mutation are queries). */
export function isMutation(document: DocumentNode | undefined, query: string): boolean {
  if (document) {
    return document.definitions.some((d) => d.kind === Kind.OPERATION_DEFINITION && d.operation === OperationTypeNode.MUTATION);
  }
  return /^\s*mutation\b/.test(query);
}

/** The first error with a registered, client-facing code in a failed subgraph answer, if any. */
function registeredError(error: GraphQLError): { code: ErrorCode; message: string } | undefined {
  const body = (error.extensions?.response as { body?: unknown } | undefined)?.body;
  const errors = (body as { errors?: unknown } | undefined)?.errors;
  if (!Array.isArray(errors)) return undefined;
  for (const e of errors as { message?: unknown; extensions?: { code?: unknown } }[]) {
    const code = codeOf(e.extensions?.code);
    if (code && typeof e.message === 'string') return { code, message: e.message };
  }
  return undefined;
}

function codeOf(code: unknown): ErrorCode | undefined {
  return isErrorCode(code) && code !== 'INTERNAL' && code !== 'UNAUTHENTICATED' ? code : undefined;
}
