/**
 * The shell every subgraph runs in: an Apollo Server on a federation subgraph
 * schema, mounted on express at /graphql, with /health, request-id logging and
 * the signed caller context checked on every GraphQL request.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type Express } from 'express';
import type { DocumentNode } from 'graphql';
import type { Logger } from 'pino';
import { canonicalJson } from '../audit';
import { CONTEXT_HEADER, requestIdOf, verifyContext } from '../callerContext';
import type { Config } from '../config';
import { isExpectedErrorCode, labHttpError, maskError } from '../errors';
import { checkHealth, type HealthCheck } from '../health';
import { listen, type RunningServer } from '../httpServer';
import { abortAtCutoff, type StopSchedule, stopSchedule } from '../stopSchedule';
import type { BaseContext } from './baseContext';
import { type SubscriptionServer, serveSubscriptions } from './subscriptionServer';

/** sha256 (hex) of an operation's text and its variables (canonical JSON): the same input makes the same digest. */
export function operationDigest(query: string, variables: unknown): string {
  return createHash('sha256')
    .update(query)
    .update('\n')
    .update(canonicalJson(variables ?? {}) ?? '{}')
    .digest('hex');
}

export interface SubgraphOptions<TContext extends BaseContext> {
  /** The service name, as in the supergraph (registry, metrics, artifacts). */
  name: string;
  typeDefs: DocumentNode;
  resolvers: GraphQLResolverMap<TContext>;
  log: Logger;
  /** HMAC secret shared with the gateway; requests not signed with it are refused. */
  internalSecret: string;
  /** Store checks run by GET /health, in parallel, each with its own timeout (default 2000 ms). */
  health: Record<string, HealthCheck>;
  healthTimeoutMs?: number;
  /** Adds per-request context (e.g. DataLoaders) on top of the base context. */
  context?: (base: BaseContext) => TContext | Promise<TContext>;
  /**
   * Extra routes mounted before /graphql (e.g. an ingest endpoint). `stopping` aborts at the stop's
   * cutoff (stopSchedule.ts): a long request still running then answers what it did and stops.
   */
  routes?: (app: Express, lifecycle: { stopping: AbortSignal }) => void;
  plugins?: ApolloServerPlugin<TContext>[];
  /** Largest JSON body accepted on /graphql (default 10 MiB). */
  bodyLimit?: string;
  /**
   * Serve the schema's Subscription fields over graphql-ws on /graphql
   * (subscriptionServer.ts; gateway-signed sockets only). Default: when the
   * schema has a Subscription type.
   */
  subscriptions?: boolean;
  /** Releases the subgraph's store: called after the server stops (with its schedule), or when it fails to start. */
  onClose?: (schedule?: StopSchedule) => unknown;
}

/** The secret a subgraph checks the gateway's signature with; a subgraph refuses to start without it. */
export function requireInternalSecret(config: Pick<Config, 'internalSecret'>, service: string): string {
  if (!config.internalSecret) {
    throw new Error(
      `LAB_INTERNAL_SECRET is not set: the ${service} subgraph only answers requests signed by the gateway with it (npm start sets it)`,
    );
  }
  return config.internalSecret;
}

export interface RunningSubgraph extends RunningServer {
  /**
   * Stops within the schedule (default: the 10 s bound): WebSocket clients are told 1001 going away,
   * listening stops, requests in flight finish (httpDrain.ts), then Apollo and the store close.
   */
  close(schedule?: StopSchedule): Promise<void>;
  apollo: ApolloServer<TContextAny>;
  /** The graphql-ws server, when the subgraph serves subscriptions. */
  subscriptions: SubscriptionServer | undefined;
}
// biome-ignore lint/suspicious/noExplicitAny: the running handle does not depend on the context type
type TContextAny = any;

/** One log line per GraphQL request, with the request id the gateway sent; unexpected errors in full. */
function requestLogPlugin<TContext extends BaseContext>(): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart({ contextValue }) {
      const started = performance.now();
      return {
        async didEncounterErrors({ errors }) {
          for (const error of errors) {
            if (!isExpectedErrorCode(error.extensions?.code)) {
              contextValue.log?.error({ err: error.originalError ?? error, path: error.path }, 'internal error');
            }
          }
        },
        async willSendResponse({ operationName, errors }) {
          contextValue.log?.info(
            {
              operation: operationName ?? undefined,
              durationMs: Math.round((performance.now() - started) * 10) / 10,
              errors: errors?.length ?? 0,
            },
            'graphql request',
          );
        },
      };
    },
  };
}

export async function startSubgraph<TContext extends BaseContext>(
  options: SubgraphOptions<TContext>,
  port: number,
  host: string,
): Promise<RunningSubgraph> {
  try {
    return await serve(options, port, host);
  } catch (err) {
    await options.onClose?.();
    throw err;
  }
}

async function serve<TContext extends BaseContext>(
  options: SubgraphOptions<TContext>,
  port: number,
  host: string,
): Promise<RunningSubgraph> {
  const { log } = options;
  const app = express();
  app.disable('x-powered-by');
  const httpServer = http.createServer(app);

  app.get('/health', async (_req, res) => {
    const report = await checkHealth(options.health, options.healthTimeoutMs);
    res.status(report.status === 'up' ? 200 : 503).json({ service: options.name, ...report });
  });

  const stopping = new AbortController();
  options.routes?.(app, { stopping: stopping.signal });

  const schema = buildSubgraphSchema({ typeDefs: options.typeDefs, resolvers: options.resolvers as GraphQLResolverMap<unknown> });
  const subscriptions =
    (options.subscriptions ?? Boolean(schema.getSubscriptionType()))
      ? serveSubscriptions<TContext>({
          name: options.name,
          schema,
          httpServer,
          internalSecret: options.internalSecret,
          log,
          context: options.context,
        })
      : undefined;
  const apollo = new ApolloServer<TContext>({
    schema,
    csrfPrevention: true,
    logger: log,
    includeStacktraceInErrorResponses: false,
    // The process's signals are runService's (httpServer.ts): Apollo's own handler would stop the
    // server and signal the process again, which then reads as a second Ctrl-C.
    stopOnTerminationSignals: false,
    plugins: [ApolloServerPluginInlineTraceDisabled(), requestLogPlugin<TContext>(), ...(options.plugins ?? [])],
    // Internal errors are logged with their request id by requestLogPlugin; here they are only masked.
    formatError: (formatted) => maskError(formatted, undefined),
  });
  await apollo.start();

  app.use(
    '/graphql',
    express.json({ limit: options.bodyLimit ?? '10mb' }),
    expressMiddleware(apollo, {
      context: async ({ req }) => {
        const requestId = requestIdOf(req);
        const body = req.body as { query?: unknown; variables?: unknown } | undefined;
        const query = typeof body?.query === 'string' ? body.query : undefined;
        const header = req.headers[CONTEXT_HEADER];
        const verdict = verifyContext(options.internalSecret, typeof header === 'string' ? header : undefined, query);
        if (!verdict.ok) {
          log.warn({ requestId, reason: verdict.reason }, 'refused unsigned or invalid request');
          throw labHttpError(
            'UNAUTHENTICATED',
            `Subgraph ${options.name} accepts only requests signed by the gateway: ${verdict.reason}`,
          );
        }
        const base: BaseContext = {
          requestId: verdict.context.requestId,
          caller: verdict.context.caller,
          log: log.child({ requestId: verdict.context.requestId }),
          ...(verdict.context.idempotencyKey !== undefined && query !== undefined
            ? { idempotency: { key: verdict.context.idempotencyKey, digest: operationDigest(query, body?.variables) } }
            : {}),
        };
        return options.context ? options.context(base) : (base as TContext);
      },
    }),
  );

  const running = await listen(httpServer, port, host);
  log.info({ url: `${running.url}/graphql` }, `${options.name} subgraph listening`);
  let closing: Promise<void> | undefined; // a second close waits for the first
  return {
    ...running,
    apollo,
    subscriptions,
    close: (schedule = stopSchedule()) => (closing ??= closeWithin(schedule)),
  };

  async function closeWithin(schedule: StopSchedule): Promise<void> {
    const cancelCutoff = abortAtCutoff(stopping, schedule);
    const sockets = subscriptions?.close(); // 1001 going away: graphql-ws clients reconnect
    await running.close(schedule);
    await sockets;
    cancelCutoff();
    await apollo.stop();
    await options.onClose?.(schedule);
  }
}
