/**
 * What an MLflow request may do with the platform, once its caller is known:
 * run GraphQL operations through the gateway's own Apollo Server (the same
 * plugins as POST /graphql: operation limits, authorization by scopes,
 * request observation, masked errors; the subgraphs then check project
 * roles, validate, audit and honour idempotency keys) and send metric points
 * along the path of POST /v1/metrics (NDJSON streamed to the metrics
 * subgraph's ingest route with the caller context signed for it). Nothing
 * here reads a store.
 */
import type { ApolloServer } from '@apollo/server';
import { type Caller, CONTEXT_HEADER, INGEST_SIGNED_DOCUMENT, type Logger, REQUEST_ID_HEADER, signContext } from '@lab/shared';
import type { GatewayContext } from '../context';
import { markBuiltInOperation } from '../protection/persistedQueries';
import { fromGraphQLError, MlflowError, mlflowCodeOf } from './errors';

export interface MlflowSession {
  caller: Caller;
  requestId: string;
  log: Logger;
  /** The client's Idempotency-Key header, when given: log-batch forwards it to the ingest route. */
  idempotencyKey?: string;
  /** Runs one GraphQL operation as the caller; its first error is thrown as an MlflowError. */
  gql<T>(query: string, variables?: Record<string, unknown>): Promise<T>;
  /** Stores points of runs through the ingest route (NDJSON lines as POST /v1/metrics takes them); returns how many. */
  ingest(ndjson: string, idempotencyKey?: string): Promise<number>;
}

export interface SessionOptions {
  apollo: ApolloServer<GatewayContext>;
  ingestUrl: string;
  internalSecret: string;
}

export function openSession(
  options: SessionOptions,
  scope: { caller: Caller; requestId: string; log: Logger; idempotencyKey?: string },
  /** Hears the operations' context (the request observer ties it to its HTTP request). */
  onContext?: (context: GatewayContext) => void,
): MlflowSession {
  const contextValue: GatewayContext = {
    requestId: scope.requestId,
    caller: scope.caller,
    log: scope.log,
    ...(scope.idempotencyKey ? { idempotencyKey: scope.idempotencyKey } : {}),
  };
  // Its documents are this module's callers', never a client's: an operation allow-list does not apply.
  markBuiltInOperation(contextValue);
  onContext?.(contextValue);
  return {
    ...scope,
    async gql<T>(query: string, variables?: Record<string, unknown>): Promise<T> {
      const response = await options.apollo.executeOperation({ query, variables }, { contextValue });
      const body = response.body;
      if (body.kind !== 'single') throw new MlflowError('INTERNAL_ERROR', 'Unexpected incremental answer');
      const first = body.singleResult.errors?.[0];
      if (first) throw fromGraphQLError(first as { message: string; extensions?: Record<string, unknown> });
      return body.singleResult.data as T;
    },
    async ingest(ndjson: string, idempotencyKey?: string): Promise<number> {
      const headers: Record<string, string> = {
        [CONTEXT_HEADER]: signContext(options.internalSecret, {
          requestId: scope.requestId,
          caller: scope.caller,
          query: INGEST_SIGNED_DOCUMENT,
        }),
        [REQUEST_ID_HEADER]: scope.requestId,
        'content-type': 'application/x-ndjson',
      };
      if (idempotencyKey) headers['idempotency-key'] = idempotencyKey;
      let answer: globalThis.Response;
      try {
        answer = await fetch(options.ingestUrl, { method: 'POST', headers, body: ndjson });
      } catch (err) {
        scope.log.warn({ err }, 'metrics subgraph unreachable for ingest');
        throw new MlflowError('TEMPORARILY_UNAVAILABLE', 'The metrics service is unreachable; retry', 1);
      }
      const told = (await answer.json().catch(() => ({}))) as {
        accepted?: number;
        code?: string;
        message?: string;
        errors?: { line?: number; reason?: string }[];
      };
      if (answer.ok) return told.accepted ?? 0;
      const reason = told.errors?.[0]?.reason ?? told.message ?? `metrics ingest answered ${answer.status}`;
      const code = told.code ?? (answer.status === 400 ? 'BAD_USER_INPUT' : answer.status === 404 ? 'NOT_FOUND' : undefined);
      // A line's reason names the run's access: an unknown run is NOT_FOUND, a read-only one FORBIDDEN.
      const byReason = /not found|no such|unknown run/i.test(reason)
        ? 'NOT_FOUND'
        : /forbidden|no write access|no access/i.test(reason)
          ? 'FORBIDDEN'
          : code;
      throw new MlflowError(mlflowCodeOf(byReason, reason), reason);
    },
  };
}
