/**
 * GraphQL over WebSocket (graphql-transport-ws) on the gateway's /graphql.
 *
 * The client authenticates in connection_init: `{ "Authorization": "Bearer
 * <API key or token>" }` (the same credentials as over HTTP; `authorization`
 * accepted too). A refused connection is closed as auth/authFailures.ts says:
 * invalid credentials with 4403 Forbidden, an address past its failed
 * authentications (auth/authFailureLimit.ts) with 4429, and credentials that
 * cannot be checked now (the registry unavailable) with 1013 try again
 * later, which graphql-ws clients retry. A client that sends none there
 * (GraphiQL sends its headers with each operation instead) must put them in
 * each operation's `extensions.headers.Authorization`; an operation with no
 * valid credentials either way is refused with UNAUTHENTICATED. Credentials
 * are checked again for each operation (the connection's too: if they no
 * longer hold, the socket closes with 4403), and while the socket is open
 * (auth/socketCredentials.ts: it closes with 4403 when they expire or their
 * key is revoked). Each operation gets its own request id.
 *
 * Subscriptions are planned over the supergraph and executed by topics.ts
 * (shared upstream subscription per identical subscription of one caller).
 * Queries and mutations sent over the socket run through the HTTP path's
 * Apollo Server (same plugins, same execution).
 */
import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import type { ApolloServer } from '@apollo/server';
import { type Caller, type Logger, labError, maskError } from '@lab/shared';
import { type ExecutionArgs, type ExecutionResult, GraphQLError, print } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { Authenticator } from '../auth/authenticate';
import type { AuthFailureLimit } from '../auth/authFailureLimit';
import { authFailureOf, closeWithAuthFailure } from '../auth/authFailures';
import type { SocketCredentials } from '../auth/socketCredentials';
import type { authorizationCheck } from '../auth/useAuthorization';
import type { GatewayContext } from '../context';
import { checkBeforeValidation, checkDocument, type OperationLimitsOptions } from '../protection/operationLimits';
import { type RateLimiter, rateLimitedError } from '../protection/rateLimiter';
import { refusalOf, refusedArgs } from './earlyRefusal';
import type { SubscriptionPlanner } from './planner';
import { invalidVariables } from './subscriptionVariables';
import type { SubscriptionTopics } from './topics';

export interface SubscriptionsOptions {
  httpServer: http.Server;
  path: string;
  planner: SubscriptionPlanner;
  topics: SubscriptionTopics;
  authenticator: Authenticator;
  apollo: ApolloServer<GatewayContext>;
  log: Logger;
  /** Largest message accepted from a client (default 1 MiB). */
  maxPayloadBytes?: number;
  /** Per-caller rate limit, shared with HTTP: each operation over the socket takes a token. */
  rateLimit?: Pick<RateLimiter, 'acquire' | 'message'>;
  /** Depth, alias and cost limits for subscription documents (queries over the socket get them from Apollo's plugin). */
  operationLimits?: OperationLimitsOptions;
  /** Errors refusing a subscription the caller may not see whole (authorizationCheck in auth/useAuthorization.ts). */
  authorize?: ReturnType<typeof authorizationCheck>;
  /** Authenticates each caller, failed authentications limited per client address (shared with HTTP). */
  authFailures: AuthFailureLimit;
  /** Closes sockets whose credentials expire or are revoked. */
  credentials?: SocketCredentials;
}

export interface SubscriptionsServer {
  /** Client sockets open now. */
  readonly sockets: number;
  close(): Promise<void>;
}

function authorizationOf(params: Readonly<Record<string, unknown>> | undefined): string | undefined {
  const value = params?.Authorization ?? params?.authorization;
  return typeof value === 'string' ? value : undefined;
}

const codeOf = (err: unknown) => (err as { extensions?: { code?: unknown } }).extensions?.code;

export function serveSubscriptions(options: SubscriptionsOptions): SubscriptionsServer {
  const { log } = options;
  const wss = new WebSocketServer({
    server: options.httpServer,
    path: options.path,
    maxPayload: options.maxPayloadBytes ?? 1024 * 1024,
  });
  /** Per socket, the caller of each operation (the socket's, or its own `extensions.headers`). */
  const operationCallers = new WeakMap<object, Map<string, Caller>>();

  const rateLimited = async (caller: Caller): Promise<GraphQLError[] | undefined> => {
    const decision = await options.rateLimit?.acquire(caller.id, 'graphql');
    if (!decision || decision.allowed) return undefined;
    return [
      rateLimitedError(
        options.rateLimit?.message(decision.retryAfterSeconds) ?? 'Rate limit exceeded',
        decision.retryAfterSeconds,
      ),
    ];
  };
  /** The operation limits after validation, as Apollo's plugin checks them over HTTP. */
  const overLimit = (args: ExecutionArgs): GraphQLError[] | undefined => {
    if (!options.operationLimits) return undefined;
    const request = { operationName: args.operationName, variables: args.variableValues as Record<string, unknown> | null };
    const refused = checkDocument(options.planner.schema, args.document, request, options.operationLimits);
    return refused ? [refused] : undefined;
  };

  const authenticate = (request: http.IncomingMessage, authorization: string | undefined) =>
    options.authFailures.authenticate(options.authenticator, authorization, request.socket.remoteAddress);

  const dispose = useServer<Record<string, unknown>>(
    {
      schema: options.planner.schema,
      onConnect: async (ctx) => {
        const authorization = authorizationOf(ctx.connectionParams);
        if (authorization === undefined) return true;
        try {
          options.credentials?.hold(ctx.extra.socket, 'connection', await authenticate(ctx.extra.request, authorization));
          return true;
        } catch (err) {
          const failure = authFailureOf(err);
          log.info({ reason: failure.message }, 'refused WebSocket connection');
          closeWithAuthFailure(ctx.extra.socket, failure); // graphql-ws' own 4403 then finds it closing
          return false;
        }
      },
      onSubscribe: async (ctx, id, payload) => {
        const headers = payload.extensions?.headers as Record<string, unknown> | undefined;
        const own = authorizationOf(headers);
        const authorization = own ?? authorizationOf(ctx.connectionParams);
        let caller: Caller;
        try {
          caller = await authenticate(ctx.extra.request, authorization);
        } catch (err) {
          if (own === undefined && authorization !== undefined && codeOf(err) === 'UNAUTHENTICATED') {
            options.credentials?.refuse(ctx.extra.socket, 'Forbidden: the connection credentials no longer authenticate');
          }
          return [err instanceof GraphQLError ? err : labError('UNAUTHENTICATED', 'Invalid credentials')];
        }
        // Limits that hold before graphql-ws parses and validates the document.
        const refused =
          options.operationLimits && checkBeforeValidation(options.planner.schema, payload, options.operationLimits);
        if (refused) return refusedArgs(options.planner.schema, refused);
        if (own !== undefined) options.credentials?.hold(ctx.extra.socket, `operation ${id}`, caller);
        const socket = operationCallers.get(ctx) ?? new Map<string, Caller>();
        operationCallers.set(ctx, socket.set(id, caller));
      },
      onComplete: (ctx, id) => {
        operationCallers.get(ctx)?.delete(id);
        options.credentials?.release(ctx.extra.socket, `operation ${id}`);
      },
      onClose: (ctx) => {
        options.credentials?.forget(ctx.extra.socket);
      },
      context: (ctx, id, payload): GatewayContext => {
        const caller = operationCallers.get(ctx)?.get(id) as Caller;
        const requestId = randomUUID();
        const requestLog = log.child({ requestId, callerId: caller.id });
        requestLog.info({ operation: payload.operationName ?? undefined }, 'websocket operation');
        return { requestId, caller, log: requestLog };
      },
      subscribe: async (args: ExecutionArgs) => {
        const early = refusalOf(args);
        if (early) return early;
        const context = args.contextValue as GatewayContext;
        const refused =
          (await rateLimited(context.caller)) ??
          overLimit(args) ??
          invalidVariables(options.planner.schema, args) ??
          options.authorize?.({ ...args, schema: options.planner.schema, caller: context.caller });
        if (refused) return { errors: refused };
        try {
          return options.topics.subscribe({
            document: args.document,
            query: print(args.document),
            operationName: args.operationName ?? undefined,
            variables: (args.variableValues ?? {}) as Record<string, unknown>,
            caller: context.caller,
            requestId: context.requestId,
            log: context.log,
          }) as AsyncIterableIterator<ExecutionResult>;
        } catch (err) {
          context.log.error({ err }, 'cannot plan subscription');
          return { errors: [labError('INTERNAL', `Internal error (request id ${context.requestId})`)] };
        }
      },
      execute: async (args: ExecutionArgs) => {
        const early = refusalOf(args);
        if (early) return early;
        const context = args.contextValue as GatewayContext;
        const limited = await rateLimited(context.caller);
        if (limited) return { errors: limited };
        const response = await options.apollo.executeOperation(
          {
            query: print(args.document),
            operationName: args.operationName ?? undefined,
            variables: (args.variableValues ?? undefined) as Record<string, unknown> | undefined,
          },
          { contextValue: context },
        );
        if (response.body.kind !== 'single') {
          return { errors: [labError('BAD_USER_INPUT', 'Incremental delivery (@defer) is not supported over WebSocket')] };
        }
        return response.body.singleResult as ExecutionResult;
      },
      // Topic results carry formatted errors already; graphql-ws would call toJSON on them.
      onNext: (_ctx, _id, _payload, _args, result) => ({
        ...result,
        ...(result.errors ? { errors: result.errors.map((e) => (e instanceof GraphQLError ? e.toJSON() : e)) } : {}),
      }),
      // Documents the gateway refused (validation): BAD_USER_INPUT with graphql's message.
      onError: (_ctx, _id, _payload, errors) =>
        errors.map((e) => {
          const formatted = e.toJSON();
          const code = formatted.extensions?.code ?? 'GRAPHQL_VALIDATION_FAILED';
          return maskError({ ...formatted, extensions: { ...formatted.extensions, code } }, undefined);
        }),
    },
    wss,
  );

  return {
    get sockets() {
      return wss.clients.size;
    },
    async close() {
      await dispose.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
