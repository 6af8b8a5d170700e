/**
 * Subscriptions on a subgraph: graphql-ws (graphql-transport-ws) on /graphql,
 * for the gateway only.
 *
 * Two signatures, both with the internal secret:
 *  - connection_init must carry `connectionParams["x-lab-context"]` signed
 *    for SUBSCRIPTION_CONNECTION_DOCUMENT; any other socket is closed with
 *    4403 before it can subscribe.
 *  - each subscribe message carries its caller in
 *    `payload.extensions["x-lab-context"]`, signed for that subscription's
 *    document (as on HTTP), so one socket can carry many callers'
 *    subscriptions. The context is checked when the subscription starts; a
 *    stream then runs as long as the client keeps it.
 */

import type http from 'node:http';
import { GraphQLError, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import { CONTEXT_HEADER, SUBSCRIPTION_CONNECTION_DOCUMENT, verifyContext } from '../callerContext';
import { labError, maskError } from '../errors';
import type { BaseContext } from './baseContext';

export interface SubscriptionServerOptions<TContext extends BaseContext> {
  name: string;
  schema: GraphQLSchema;
  httpServer: http.Server;
  internalSecret: string;
  log: Logger;
  context?: (base: BaseContext) => TContext | Promise<TContext>;
  /** Largest message accepted from the gateway (default 1 MiB). */
  maxPayloadBytes?: number;
}

export interface SubscriptionServer {
  /** Subscriptions running now. */
  readonly active: number;
  /** Sockets open now. */
  readonly sockets: number;
  close(): Promise<void>;
}

export function serveSubscriptions<TContext extends BaseContext>(
  options: SubscriptionServerOptions<TContext>,
): SubscriptionServer {
  const { log, internalSecret } = options;
  const wss = new WebSocketServer({
    server: options.httpServer,
    path: '/graphql',
    maxPayload: options.maxPayloadBytes ?? 1024 * 1024,
  });
  /**
   * Per socket, the caller context of each subscription, verified in
   * onSubscribe. An entry whose operation never ran (invalid document) goes
   * with its socket.
   */
  const callers = new WeakMap<object, Map<string, BaseContext>>();
  const callerOf = (ctx: object, id: string) => callers.get(ctx)?.get(id);
  /** Operations started (onOperation) and not yet completed (onComplete, which graphql-ws then always calls). */
  let active = 0;

  const logInternal = (requestId: string | undefined) => (error: unknown) =>
    log.error({ requestId, error }, 'internal error in a subscription');
  const mask = (ctx: object, id: string, error: GraphQLFormattedError) => {
    const requestId = callerOf(ctx, id)?.requestId;
    return maskError(error, requestId, logInternal(requestId));
  };

  const dispose = useServer(
    {
      schema: options.schema,
      onConnect: (ctx) => {
        const signed = ctx.connectionParams?.[CONTEXT_HEADER];
        const verdict = verifyContext(
          internalSecret,
          typeof signed === 'string' ? signed : undefined,
          SUBSCRIPTION_CONNECTION_DOCUMENT,
        );
        if (!verdict.ok) log.warn({ reason: verdict.reason }, 'refused unsigned subscription socket');
        return verdict.ok;
      },
      onSubscribe: (ctx, id, payload) => {
        const signed = payload.extensions?.[CONTEXT_HEADER];
        const verdict = verifyContext(internalSecret, typeof signed === 'string' ? signed : undefined, payload.query);
        if (!verdict.ok) {
          log.warn({ reason: verdict.reason }, 'refused unsigned subscription');
          return [
            labError(
              'UNAUTHENTICATED',
              `Subgraph ${options.name} accepts only subscriptions signed by the gateway: ${verdict.reason}`,
            ),
          ];
        }
        const { requestId, caller } = verdict.context;
        const socket = callers.get(ctx) ?? new Map<string, BaseContext>();
        callers.set(ctx, socket.set(id, { requestId, caller, log: log.child({ requestId }) }));
      },
      context: async (ctx, id) => {
        const base = callerOf(ctx, id);
        if (!base) throw new Error(`subscription ${id} has no verified caller`);
        return options.context ? options.context(base) : base;
      },
      onOperation: (ctx, id, payload) => {
        active++;
        callerOf(ctx, id)?.log.info({ operation: payload.operationName ?? undefined }, 'subscription started');
      },
      onNext: (ctx, id, _payload, _args, result) => {
        if (!result.errors?.length) return;
        return { ...result, errors: result.errors.map((e) => mask(ctx, id, e.toJSON())) };
      },
      // A stream that fails after it started (e.g. a subscriber too slow): graphql-ws keeps only the message, the code is restored here.
      onError: (ctx, id, _payload, errors) =>
        errors.map((e) => mask(ctx, id, e.originalError instanceof GraphQLError ? e.originalError.toJSON() : e.toJSON())),
      onComplete: (ctx, id) => {
        active--;
        callerOf(ctx, id)?.log.info('subscription ended');
        callers.get(ctx)?.delete(id);
      },
    },
    wss,
  );

  return {
    get active() {
      return active;
    },
    get sockets() {
      return wss.clients.size;
    },
    async close() {
      await dispose.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
