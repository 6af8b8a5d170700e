/**
 * The gateway, assembled: the authenticator (auth/buildAuthenticator.ts),
 * the protections, Apollo Gateway's execution over the committed supergraph
 * inside Apollo Server (execution/), the HTTP routes on express
 * (http/routes.ts: POST/GET /graphql, GraphiQL, GET /health, GET /metrics,
 * POST /v1/metrics) and subscriptions over the WebSocket on /graphql
 * (subscriptions/); then how it stops.
 */
import http from 'node:http';
import type { ApolloServer } from '@apollo/server';
import {
  API_USAGE_PATH,
  abortAtCutoff,
  type Config,
  type Logger,
  listen,
  msUntil,
  type RunningServer,
  type StopSchedule,
  stopSchedule,
} from '@lab/shared';
import type { Authenticator } from './auth/authenticate';
import { authFailureLimit } from './auth/authFailureLimit';
import { buildAuthenticator } from './auth/buildAuthenticator';
import type { RegistryAuthenticator } from './auth/registryAuthenticator';
import { SocketCredentials } from './auth/socketCredentials';
import { authorizationCheck, enforcedSupergraph } from './auth/useAuthorization';
import type { GatewayContext } from './context';
import { startApolloServer } from './execution/apolloServer';
import { createGatewayExecutor, type GatewayExecutorOptions } from './execution/gatewayExecutor';
import { readSupergraph } from './execution/supergraph';
import { answerClientErrors } from './http/httpErrors';
import { gatewayRoutes } from './http/routes';
import { type ApiUsageOptions, ApiUsageRecorder } from './observability/apiUsage';
import { countApiKeyLookup, countRateLimited, gatewayMetrics, trackSubscription } from './observability/gatewayMetrics';
import { createRequestObserver } from './observability/requestObserver';
import { createOperationLimits } from './protection/operationLimits';
import { createPersistedQueries } from './protection/persistedQueries';
import { createRateLimiter } from './protection/rateLimiter';
import { openSharedState } from './protection/sharedState';
import { SubscriptionPlanner } from './subscriptions/planner';
import { SubscriptionTopics } from './subscriptions/topics';
import { UpstreamSubscriptions } from './subscriptions/upstream';
import { type SubscriptionsServer, serveSubscriptions } from './subscriptions/websocketServer';

export interface GatewayOptions {
  config: Pick<Config, 'internalSecret' | 'adminApiKey' | 'subgraphUrls'> &
    Partial<Pick<Config, 'jwt' | 'metricsToken' | 'protection' | 'redis'>>;
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
  /** Subgraph connections and in-flight sharing (execution/gatewayExecutor.ts, its defaults). */
  execution?: Pick<GatewayExecutorOptions, 'fetcher' | 'dedupe'>;
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
  const { authenticator, apiKeys } = await buildAuthenticator({
    config,
    internalSecret: secret,
    log,
    authenticator: options.authenticator,
    now: options.now,
    keyRecheckIntervalMs: options.keyRecheckIntervalMs,
    onLookup: countApiKeyLookup,
  });
  const protection = config.protection;
  // With LAB_REDIS_URL, every gateway takes from the same buckets and knows the same APQ queries.
  const shared = openSharedState(config, log);
  const rateLimit = createRateLimiter({
    ...protection?.rateLimit,
    onLimited: () => countRateLimited(),
    shared: shared.rateLimit,
  });
  const authFailures = authFailureLimit({ ...protection?.authFailureLimit, onLimited: () => countRateLimited() });
  const socketCredentials = new SocketCredentials({ log, now: options.now, watch: apiKeys?.watch });
  apiKeys?.onRecheck((states) => socketCredentials.keysRechecked(states));
  const limits = createOperationLimits<GatewayContext>(protection?.operationLimits);
  const persisted = createPersistedQueries(protection?.persistedQueries, shared.queryCache);

  // Authorization directives are enforced by useAuthorization, so the gateway may accept them.
  const supergraphSdl = enforcedSupergraph(options.supergraphSdl ?? (await readSupergraph()));
  const executor = createGatewayExecutor({ supergraphSdl, subgraphUrls: config.subgraphUrls, secret, log, ...options.execution });
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
  const observer = createRequestObserver({ usage });
  const apollo = await startApolloServer({ gateway: executor.gateway, supergraphSdl, observer, persisted, limits, log });

  const planner = new SubscriptionPlanner(executor.planning);
  const stopping = new AbortController();
  const app = gatewayRoutes({
    config,
    internalSecret: secret,
    log,
    apollo,
    schema: planner.schema,
    authenticator,
    authFailures,
    rateLimit,
    limits,
    observer,
    bodyLimitBytes: options.bodyLimitBytes ?? protection?.bodyLimitBytes,
    ingestLimitBytes: protection?.ingestLimitBytes,
    healthTimeoutMs: options.healthTimeoutMs,
    stopping: stopping.signal,
  });
  const httpServer = http.createServer(app);
  answerClientErrors(httpServer);

  // Subscriptions over graphql-ws on /graphql, planned and executed by the gateway (subscriptions/).
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
    await shared.close();
    await usage?.close(Math.max(500, msUntil(schedule, schedule.totalMs) - 500));
  }
}
