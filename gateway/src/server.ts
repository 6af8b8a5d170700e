/**
 * The gateway: Apollo Gateway over the committed supergraph inside Apollo
 * Server on express. Routes: POST/GET /graphql (authenticated), GET /graphql
 * from a browser (GraphiQL), /graphiql/* (its assets), GET /health, and
 * POST /v1/metrics (authenticated, streamed to the metrics subgraph).
 */
import http from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import {
  API_USAGE_PATH,
  abortAtCutoff,
  type Config,
  INGEST_PATH,
  type Logger,
  listen,
  maskError,
  msUntil,
  type RunningServer,
  type StopSchedule,
  stopSchedule,
} from '@lab/shared';
import express from 'express';
import { type Authenticator, adminKeyAuthenticator, chainAuthenticators } from './auth/authenticate';
import { authFailureLimit } from './auth/authFailureLimit';
import { authFailureOf, setAuthFailureHeaders } from './auth/authFailures';
import { jwtAuthenticatorFromConfig } from './auth/jwtAuthenticator';
import { type RegistryAuthenticator, registryAuthenticator } from './auth/registryAuthenticator';
import { SocketCredentials } from './auth/socketCredentials';
import { authorizationCheck, enforcedSupergraph, useAuthorization } from './auth/useAuthorization';
import type { GatewayContext } from './context';
import { createGatewayExecutor } from './execution/gatewayExecutor';
import { readSupergraph } from './execution/supergraph';
import { GRAPHIQL_ASSETS_PATH, graphiqlAssets, graphiqlPage, wantsGraphiQL } from './http/graphiql';
import { DEFAULT_SUBGRAPH_HEALTH_TIMEOUT_MS, platformHealth } from './http/health';
import { answerClientErrors, bodyErrors, ensureBody } from './http/httpErrors';
import { idempotencyKeyOf } from './http/idempotencyKey';
import { metricsIngest } from './http/metricsIngest';
import { type ApiUsageOptions, ApiUsageRecorder } from './observability/apiUsage';
import { countApiKeyLookup, countRateLimited, gatewayMetrics, trackSubscription } from './observability/gatewayMetrics';
import { metricsEndpoint } from './observability/metricsEndpoint';
import { assignRequestId, currentScope, enterRequestScope, logRequest, scopeOf } from './observability/requestId';
import { createRequestObserver } from './observability/requestObserver';
import { createOperationLimits } from './protection/operationLimits';
import { createPersistedQueries } from './protection/persistedQueries';
import { createRateLimiter } from './protection/rateLimiter';
import { SubscriptionPlanner } from './subscriptions/planner';
import { SubscriptionTopics } from './subscriptions/topics';
import { UpstreamSubscriptions } from './subscriptions/upstream';
import { type SubscriptionsServer, serveSubscriptions } from './subscriptions/websocketServer';

/** Room for Mutation.logMetrics' 10,000 points with a few tags each (about 1.5 MB of JSON). */
export const DEFAULT_BODY_LIMIT_BYTES = 4 * 1024 * 1024;

export interface GatewayOptions {
  config: Pick<Config, 'internalSecret' | 'adminApiKey' | 'subgraphUrls'> &
    Partial<Pick<Config, 'jwt' | 'metricsToken' | 'protection'>>;
  log: Logger;
  /** Who may call; defaults to the bootstrap admin key (config.adminApiKey), JWTs (config.jwt), then API keys kept in the registry. */
  authenticator?: Authenticator;
  /** Defaults to schema/supergraph.graphql. */
  supergraphSdl?: string;
  /** Largest JSON body accepted on /graphql, in bytes (default 4 MiB). */
  bodyLimitBytes?: number;
  /** Timeout of each subgraph's health check in GET /health (default 3000 ms). */
  healthTimeoutMs?: number;
  /** API usage records sent to the metrics subgraph (observability/apiUsage.ts, its defaults); false keeps none. */
  apiUsage?: false | Pick<ApiUsageOptions, 'maxBatch' | 'flushIntervalMs' | 'maxBuffered' | 'retryDelayMs' | 'maxRetryDelayMs'>;
  /** Milliseconds since the epoch, against which credentials expire (default Date.now; tests move it). */
  now?: () => number;
  /** How often the API keys in use are re-checked with the registry, in ms (default 2000; 0: only by apiKeys.revalidate()). */
  keyRecheckIntervalMs?: number;
}

export interface RunningGateway extends RunningServer {
  /**
   * Stops within the schedule (default: the 10 s bound; docs/operations/stopping.md): WebSocket clients are told
   * 1001 going away, listening stops, requests in flight finish, an ingest stream still arriving at the
   * cutoff is answered 503 with what is stored; then API usage is flushed.
   */
  close(schedule?: StopSchedule): Promise<void>;
  apollo: ApolloServer<GatewayContext>;
  /** Subscriptions: client topics, upstream subscriptions to subgraphs, the WebSocket server. */
  subscriptions: { topics: SubscriptionTopics; upstream: UpstreamSubscriptions; websocket: SubscriptionsServer };
  /** The registry's API keys as this gateway caches and re-checks them (absent with options.authenticator). */
  apiKeys?: RegistryAuthenticator;
}

export async function startGateway(options: GatewayOptions, port: number, host: string): Promise<RunningGateway> {
  const { config, log } = options;
  const secret = config.internalSecret;
  if (!secret) {
    throw new Error(
      'LAB_INTERNAL_SECRET is required: the gateway signs every subgraph request with it (32+ characters, the same for every service)',
    );
  }
  const jwt = options.authenticator ? undefined : await jwtAuthenticatorFromConfig(config.jwt, options.now);
  const apiKeys = options.authenticator
    ? undefined
    : registryAuthenticator({
        registryUrl: config.subgraphUrls.registry,
        internalSecret: secret,
        log,
        now: options.now,
        revalidateIntervalMs: options.keyRecheckIntervalMs,
        onLookup: countApiKeyLookup,
      });
  const authenticator =
    options.authenticator ??
    chainAuthenticators(adminKeyAuthenticator(config.adminApiKey), ...(jwt ? [jwt] : []), apiKeys as RegistryAuthenticator);
  if (!options.authenticator && !config.adminApiKey) {
    log.warn('LAB_ADMIN_API_KEY is not set: only API keys kept in the registry can authenticate');
  }
  const protection = config.protection;
  const bodyLimit = options.bodyLimitBytes ?? protection?.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  const rateLimit = createRateLimiter({ ...protection?.rateLimit, onLimited: () => countRateLimited() });
  const authFailures = authFailureLimit({ ...protection?.authFailureLimit, onLimited: () => countRateLimited() });
  const socketCredentials = new SocketCredentials({ log, now: options.now, watch: apiKeys?.watch });
  apiKeys?.onRecheck((states) => socketCredentials.keysRechecked(states));
  const limits = createOperationLimits<GatewayContext>(protection?.operationLimits);
  const persisted = createPersistedQueries(protection?.persistedQueries);

  // Authorization directives are enforced by useAuthorization, so the gateway may accept them.
  const supergraphSdl = enforcedSupergraph(options.supergraphSdl ?? (await readSupergraph()));
  const executor = createGatewayExecutor({ supergraphSdl, subgraphUrls: config.subgraphUrls, secret, log });

  const app = express();
  app.disable('x-powered-by');
  const httpServer = http.createServer(app);
  answerClientErrors(httpServer);

  const usage =
    options.apiUsage === false
      ? undefined
      : new ApiUsageRecorder({
          url: new URL(API_USAGE_PATH, config.subgraphUrls.metrics).toString(),
          internalSecret: secret,
          log: log.child({ component: 'api-usage' }),
          metrics: gatewayMetrics,
          ...options.apiUsage,
        });
  const observability = createRequestObserver({ usage });

  const apollo = new ApolloServer<GatewayContext>({
    gateway: executor.gateway,
    csrfPrevention: true,
    introspection: true,
    includeStacktraceInErrorResponses: false,
    // The process's signals are runService's: Apollo's own handler would signal the process a second time.
    stopOnTerminationSignals: false,
    persistedQueries: persisted.persistedQueries,
    parseOptions: limits.parseOptions,
    plugins: [
      ApolloServerPluginLandingPageDisabled(),
      observability.plugin,
      persisted.plugin,
      limits.plugin,
      useAuthorization({ supergraphSdl }),
    ],
    formatError: (formatted, error) => {
      const scope = currentScope();
      return maskError(formatted, scope?.requestId, () =>
        (scope?.log ?? log).error({ err: error, path: formatted.path }, 'internal error'),
      );
    },
  });
  await apollo.start();

  // Subscriptions over graphql-ws on /graphql, planned and executed by the gateway (subscriptions/).
  const planner = new SubscriptionPlanner(supergraphSdl);
  const upstream = new UpstreamSubscriptions({ urls: config.subgraphUrls, secret, log });
  const topics = new SubscriptionTopics({ planner, upstream, services: executor.services, onClient: trackSubscription });
  const websocket = serveSubscriptions({
    httpServer,
    path: '/graphql',
    planner,
    topics,
    authenticator,
    apollo,
    log,
    authorize: authorizationCheck(supergraphSdl),
    rateLimit,
    operationLimits: protection?.operationLimits ?? {},
    authFailures,
    credentials: socketCredentials,
  });

  app.use(assignRequestId(log), logRequest);
  app.get('/health', async (_req, res) => {
    const report = await platformHealth(config.subgraphUrls, options.healthTimeoutMs ?? DEFAULT_SUBGRAPH_HEALTH_TIMEOUT_MS);
    res.status(report.status === 'up' ? 200 : 503).json(report);
  });
  app.get('/metrics', metricsEndpoint({ token: config.metricsToken }));
  const stopping = new AbortController();
  app.post(
    INGEST_PATH,
    metricsIngest({
      authenticator,
      ingestUrl: new URL(INGEST_PATH, config.subgraphUrls.metrics).toString(),
      internalSecret: secret,
      log,
      limitBytes: protection?.ingestLimitBytes,
      rateLimit,
      authFailures,
      stopping: stopping.signal,
    }),
  );
  app.use(GRAPHIQL_ASSETS_PATH, graphiqlAssets());
  const page = graphiqlPage({ endpoint: '/graphql' });
  app.get('/graphql', (req, res, next) => {
    if (!wantsGraphiQL(req)) return next();
    res.setHeader('Content-Security-Policy', page.contentSecurityPolicy);
    res.type('html').send(page.html);
  });
  /** Apollo's context: the caller, then the rate limit, then the operation limits that run before validation. */
  const checkedContext: typeof rateLimit.context = (fn) =>
    limits.checkRequest(planner.schema, rateLimit.context(fn), (context, refusal, operationName) =>
      observability.noteRefusal(context.caller.id, operationName, String(refusal.extensions.code)),
    );
  app.use(
    '/graphql',
    authFailures.refuseEarly(authenticator),
    observability.observe,
    express.json({ limit: bodyLimit }),
    ensureBody,
    enterRequestScope,
    expressMiddleware(apollo, {
      context: checkedContext(async ({ req, res }) => {
        const { requestId, log: requestLog } = scopeOf(res);
        const idempotencyKey = idempotencyKeyOf(req.headers);
        try {
          const caller = await authFailures.authenticate(authenticator, req.headers.authorization, req.socket.remoteAddress);
          return {
            requestId,
            caller,
            log: requestLog.child({ callerId: caller.id }),
            ...(idempotencyKey ? { idempotencyKey } : {}),
          };
        } catch (err) {
          // Apollo answers the error with its status (auth/authFailures.ts); the headers are set here.
          const failure = authFailureOf(err);
          setAuthFailureHeaders(res, failure);
          if (failure.kind === 'SERVICE_UNAVAILABLE') requestLog.warn({ reason: failure.message }, 'cannot authenticate request');
          // RATE_LIMITED is counted, not logged: a flood would flood the log.
          else if (failure.kind !== 'RATE_LIMITED') requestLog.info({ reason: failure.message }, 'unauthenticated request');
          throw err;
        }
      }),
    }),
  );
  app.use(bodyErrors(bodyLimit));

  const running = await listen(httpServer, port, host);
  log.info({ url: `${running.url}/graphql` }, 'gateway listening');
  let closing: Promise<void> | undefined; // a second close waits for the first
  return {
    ...running,
    apollo,
    subscriptions: { topics, upstream, websocket },
    apiKeys,
    close: (schedule = stopSchedule()) => (closing ??= closeWithin(schedule)),
  };

  async function closeWithin(schedule: StopSchedule): Promise<void> {
    const cancelCutoff = abortAtCutoff(stopping, schedule);
    const sockets = websocket.close(); // 1001 going away: graphql-ws clients reconnect
    await running.close(schedule);
    await sockets;
    cancelCutoff();
    socketCredentials.close();
    apiKeys?.close();
    await upstream.close();
    await apollo.stop();
    executor.close();
    await usage?.close(Math.max(500, msUntil(schedule, schedule.totalMs) - 500));
  }
}
