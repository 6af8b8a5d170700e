/**
 * How the gateway talks to a subgraph: every request carries the caller,
 * signed (`x-lab-context`, bound to the exact subgraph operation), and the
 * request id. Transport failures become SERVICE_UNAVAILABLE naming the
 * subgraph; a subgraph refusing our signature is our misconfiguration, so it
 * is logged and surfaces as INTERNAL, not as the client's UNAUTHENTICATED.
 */
import { type GraphQLDataSourceProcessOptions, RemoteGraphQLDataSource } from '@apollo/gateway';
import { CONTEXT_HEADER, type ErrorCode, isErrorCode, type Logger, labError, REQUEST_ID_HEADER, signContext } from '@lab/shared';
import { type DocumentNode, type GraphQLError, Kind, OperationTypeNode } from 'graphql';
import type { GatewayContext } from '../context';
import { observeSubgraphFetch } from '../observability/gatewayMetrics';
import { unavailableAnswer } from './unavailableFields';

type FetcherResponse = Parameters<RemoteGraphQLDataSource['didEncounterError']>[2];

export class SignedDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  constructor(
    readonly name: string,
    url: string,
    private readonly secret: string,
    private readonly log: Logger,
  ) {
    super({ url });
  }

  /**
   * Every fetch is timed and counted per subgraph in /metrics
   * (observability/gatewayMetrics.ts). An unreachable subgraph answers
   * SERVICE_UNAVAILABLE at each field it would have filled, with its path
   * (unavailableFields.ts), rather than one error without one.
   */
  override process(options: GraphQLDataSourceProcessOptions<GatewayContext>) {
    return observeSubgraphFetch(this.name, async () => {
      try {
        return await super.process(options);
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

  override willSendRequest(options: GraphQLDataSourceProcessOptions<GatewayContext>): void {
    // Only client operations are signed; the gateway makes no other subgraph calls with a static supergraph.
    if (!('incomingRequestContext' in options)) return;
    const { request, context } = options;
    if (!request.http || request.query === undefined) return;
    request.http.headers.set(REQUEST_ID_HEADER, context.requestId);
    // The idempotency key goes, signed, only with the subgraph operations that are mutations.
    const idempotencyKey =
      context.idempotencyKey !== undefined && isMutation(options.document, request.query) ? context.idempotencyKey : undefined;
    request.http.headers.set(
      CONTEXT_HEADER,
      signContext(this.secret, { requestId: context.requestId, caller: context.caller, query: request.query, idempotencyKey }),
    );
  }

  override didEncounterError(error: Error, _req: unknown, response?: FetcherResponse, context?: GatewayContext): void {
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
