/**
 * Observability of GraphQL over HTTP: every request to /graphql is counted and
 * timed in the Prometheus metrics (gatewayMetrics.ts) once its answer is sent,
 * and every authenticated operation becomes an API usage record (apiUsage.ts).
 *
 * Two parts: `observe`, an express middleware placed first on /graphql (so it
 * also sees requests refused before Apollo: body too large, not JSON,
 * unauthenticated), and `plugin`, an Apollo plugin that notes what only Apollo
 * knows (operation name and type, the caller, the errors' codes) on the
 * request's scope. A request Apollo never saw is labelled from its HTTP status.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { API_USAGE_MAX_NAME, type ApiUsageStatus, ERROR_CODES } from '@lab/shared';
import type { RequestHandler } from 'express';
import type { GatewayContext } from '../context';
import type { ApiUsageRecorder } from './apiUsage';
import { type GatewayMetrics, gatewayMetrics } from './gatewayMetrics';
import { noteErrorScope, type RequestScope, requestScopeOf } from './requestId';

export interface RequestObserverOptions {
  /** Default: the process's gatewayMetrics. */
  metrics?: GatewayMetrics;
  /** Where API usage records go; none are kept without it. */
  usage?: ApiUsageRecorder;
}

/** What Apollo tells about an operation, kept on its request scope until the answer is sent. */
interface OperationNote {
  operationName: string | undefined;
  operationType: string | undefined;
  callerId: string;
  errorCodes: string[];
  status: ApiUsageStatus;
}

const GRAPHQL_NAME = /^[_A-Za-z][_0-9A-Za-z]*$/;
/** What the metrics subgraph accepts as an error code in api_usage. */
const CODE = /^[A-Z][A-Z0-9_]{0,63}$/;

/** The registered code a whole-request failure with this HTTP status answers. */
function codeOfStatus(status: number): string {
  const found = Object.entries(ERROR_CODES).find(([, c]) => c.httpStatus === status)?.[0];
  return found ?? (status >= 500 ? 'INTERNAL' : 'BAD_USER_INPUT');
}

function nameOf(value: unknown): string | undefined {
  return typeof value === 'string' && GRAPHQL_NAME.test(value) ? value : undefined;
}

export interface RequestObserver {
  /** Express middleware, first on /graphql: counts, times and records each request once its answer is sent. */
  observe: RequestHandler;
  /** The Apollo plugin noting what only Apollo knows about the operation. */
  plugin: ApolloServerPlugin<GatewayContext>;
  /**
   * Notes an authenticated request refused before Apollo ran its operation (the
   * operation limits checked before validation), so it is counted with its code
   * and recorded in API usage under its caller like any refused operation.
   * `context`: the operation's context, tied to its request (tieToRequest).
   */
  noteRefusal(callerId: string, operationName: unknown, code: string, context?: object): void;
}

export function createRequestObserver(options: RequestObserverOptions = {}): RequestObserver {
  const metrics = options.metrics ?? gatewayMetrics;
  const notes = new WeakMap<RequestScope, OperationNote>();

  const plugin: ApolloServerPlugin<GatewayContext> = {
    async requestDidStart({ request, contextValue }) {
      return {
        async didEncounterErrors({ errors }) {
          // For formatError, which gets the error alone.
          for (const error of errors) noteErrorScope(error, contextValue);
        },
        async willSendResponse({ response, operation, operationName }) {
          const scope = requestScopeOf(contextValue);
          if (!scope) return;
          const result = response.body.kind === 'single' ? response.body.singleResult : response.body.initialResult;
          const errors = result.errors ?? [];
          const errorCodes = errors.map((e) => String(e.extensions?.code ?? 'INTERNAL'));
          const hasData = result.data !== undefined && result.data !== null;
          notes.set(scope, {
            operationName: operationName ?? nameOf(request.operationName),
            operationType: operation?.operation,
            callerId: contextValue.caller.id,
            errorCodes,
            status: errors.length === 0 ? 'ok' : hasData ? 'partial' : 'error',
          });
        },
      };
    },
  };

  const observe: RequestHandler = (req, res, next) => {
    const started = performance.now();
    const startedAt = Date.now();
    res.once('close', () => {
      const durationMs = performance.now() - started;
      const scope = res.locals.scope as RequestScope | undefined;
      const note = scope ? notes.get(scope) : undefined;
      if (!note) {
        // Refused before Apollo ran (or Apollo answered without an operation context).
        const failed = res.statusCode >= 400;
        metrics.observeOperation({
          operationName: nameOf((req.body as { operationName?: unknown } | undefined)?.operationName),
          operationType: undefined,
          seconds: durationMs / 1000,
          errorCodes: failed ? [codeOfStatus(res.statusCode)] : [],
        });
        return;
      }
      metrics.observeOperation({
        operationName: note.operationName,
        operationType: note.operationType,
        seconds: durationMs / 1000,
        errorCodes: note.errorCodes,
      });
      options.usage?.record({
        timestampMs: startedAt,
        requestId: scope?.requestId ?? '',
        callerId: note.callerId.slice(0, 128),
        operationName: (note.operationName ?? '').slice(0, API_USAGE_MAX_NAME),
        operationType: note.operationType ?? 'unknown',
        durationMs: Math.round(durationMs * 1000) / 1000,
        status: note.status,
        errorCode: note.errorCodes[0] === undefined ? '' : CODE.test(note.errorCodes[0]) ? note.errorCodes[0] : 'INTERNAL',
      });
    });
    next();
  };

  const noteRefusal = (callerId: string, operationName: unknown, code: string, context?: object) => {
    const scope = context ? requestScopeOf(context) : undefined;
    if (!scope) return;
    notes.set(scope, {
      operationName: nameOf(operationName),
      operationType: undefined,
      callerId,
      errorCodes: [code],
      status: 'error',
    });
  };

  return { observe, plugin, noteRefusal };
}
