/**
 * The gateway's HTTP routes on express, in the order a request meets them:
 * the request id and access log (every route); GraphiQL (its assets under
 * /graphiql/, and its page for a browser's GET /graphql); GraphQL on
 * /graphql: an address past its failed authentications refused before the
 * body is read, the request observed, the JSON body parsed, and Apollo's
 * context made (the caller, then the rate limit, then the operation limits
 * checked before validation); GET /health; GET /metrics; POST /v1/metrics
 * (authenticated, streamed to the metrics subgraph); GET /v1/export/...
 * (authenticated, proxied to the subgraph owning the data); the MLflow API;
 * then the web app (webApp.ts: /assets/ and index.html for app paths, never
 * API paths); last, the errors met before Apollo (a body too large, not
 * JSON).
 */
import type { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { type Config, EXPORT_PATH, INGEST_PATH, type Logger } from '@lab/shared';
import express, { type Express } from 'express';
import type { GraphQLSchema } from 'graphql';
import type { Authenticator } from '../auth/authenticate';
import type { AuthFailureLimit } from '../auth/authFailureLimit';
import { authFailureOf, setAuthFailureHeaders } from '../auth/authFailures';
import type { GatewayContext } from '../context';
import { mlflowRoutes } from '../mlflow';
import { metricsEndpoint } from '../observability/metricsEndpoint';
import { assignRequestId, logRequest, noteErrorScope, scopeOf, tieToRequest } from '../observability/requestId';
import type { RequestObserver } from '../observability/requestObserver';
import type { OperationLimits } from '../protection/operationLimits';
import type { RateLimiter } from '../protection/rateLimiter';
import { exportProxy } from './exportProxy';
import { GRAPHIQL_ASSETS_PATH, graphiqlAssets, graphiqlPage, wantsGraphiQL } from './graphiql';
import { DEFAULT_SUBGRAPH_HEALTH_TIMEOUT_MS, platformHealth } from './health';
import { bodyErrors, ensureBody } from './httpErrors';
import { idempotencyKeyOf } from './idempotencyKey';
import { metricsIngest } from './metricsIngest';
import { webApp } from './webApp';

/** Room for Mutation.logMetrics' 10,000 points with a few tags each (about 1.5 MB of JSON). */
export const DEFAULT_BODY_LIMIT_BYTES = 4 * 1024 * 1024;

export interface GatewayRoutesOptions {
  config: Pick<Config, 'subgraphUrls'> & Partial<Pick<Config, 'metricsToken'>>;
  /** LAB_INTERNAL_SECRET: POST /v1/metrics signs its caller context with it. */
  internalSecret: string;
  log: Logger;
  /** Started (execution/apolloServer.ts). */
  apollo: ApolloServer<GatewayContext>;
  /** The API schema the operation limits are checked against before validation. */
  schema: GraphQLSchema;
  authenticator: Authenticator;
  authFailures: AuthFailureLimit;
  rateLimit: RateLimiter;
  limits: OperationLimits<GatewayContext>;
  observer: RequestObserver;
  /** Largest JSON body accepted on /graphql, in bytes (default 4 MiB). */
  bodyLimitBytes?: number;
  /** Largest body of POST /v1/metrics, in bytes (metricsIngest.ts, default 1 GiB). */
  ingestLimitBytes?: number;
  /** Timeout of each subgraph's health check in GET /health (default 3000 ms). */
  healthTimeoutMs?: number;
  /** Aborts at the gateway's stop cutoff: ingest streams still arriving end there. */
  stopping: AbortSignal;
}

export function gatewayRoutes(options: GatewayRoutesOptions): Express {
  const { config, log, authenticator, authFailures } = options;
  const bodyLimit = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  const app = express();
  app.disable('x-powered-by');
  app.use(assignRequestId(log), logRequest);
  // GraphQL first: nearly every request is one, and express tries the routes in order.
  app.use(GRAPHIQL_ASSETS_PATH, graphiqlAssets());
  const page = graphiqlPage({ endpoint: '/graphql' });
  app.get('/graphql', (req, res, next) => {
    if (!wantsGraphiQL(req)) return next();
    res.setHeader('Content-Security-Policy', page.contentSecurityPolicy);
    res.type('html').send(page.html);
  });
  app.use(
    '/graphql',
    authFailures.refuseEarly(authenticator),
    options.observer.observe,
    express.json({ limit: bodyLimit }),
    ensureBody,
    expressMiddleware(options.apollo, { context: graphqlContext(options) }),
  );
  app.get('/health', async (_req, res) => {
    const report = await platformHealth(config.subgraphUrls, options.healthTimeoutMs ?? DEFAULT_SUBGRAPH_HEALTH_TIMEOUT_MS);
    res.status(report.status === 'up' ? 200 : 503).json(report);
  });
  app.get('/metrics', metricsEndpoint({ token: config.metricsToken }));
  app.post(
    INGEST_PATH,
    metricsIngest({
      authenticator,
      ingestUrl: new URL(INGEST_PATH, config.subgraphUrls.metrics).toString(),
      internalSecret: options.internalSecret,
      log,
      limitBytes: options.ingestLimitBytes,
      rateLimit: options.rateLimit,
      authFailures,
      stopping: options.stopping,
    }),
  );
  app.get(
    `${EXPORT_PATH}/*path`,
    exportProxy({
      authenticator,
      authFailures,
      subgraphUrls: config.subgraphUrls,
      internalSecret: options.internalSecret,
      log,
      rateLimit: options.rateLimit,
    }),
  );
  // MLflow's tracking REST API (/api/2.0/mlflow/..., /ajax-api/2.0/mlflow/..., /api/2.0/mlflow-artifacts/...).
  app.use(
    mlflowRoutes({
      apollo: options.apollo,
      authenticator,
      authFailures,
      rateLimit: options.rateLimit,
      observer: options.observer,
      ingestUrl: new URL(INGEST_PATH, config.subgraphUrls.metrics).toString(),
      internalSecret: options.internalSecret,
      log,
      bodyLimitBytes: bodyLimit,
    }),
  );
  app.use(webApp());
  app.use(bodyErrors(bodyLimit));
  return app;
}

/** Apollo's context on /graphql: the caller, then the rate limit, then the operation limits that run before validation. */
function graphqlContext(options: GatewayRoutesOptions) {
  const { authenticator, authFailures, observer } = options;
  const checked: RateLimiter['context'] = (fn) =>
    options.limits.checkRequest(options.schema, options.rateLimit.context(fn), (context, refusal, operationName) =>
      observer.noteRefusal(context.caller.id, operationName, String(refusal.extensions.code), context),
    );
  return checked(async ({ req, res }: { req: express.Request; res: express.Response }): Promise<GatewayContext> => {
    const scope = scopeOf(res);
    const { requestId, log: requestLog } = scope;
    const idempotencyKey = idempotencyKeyOf(req.headers);
    try {
      const caller = await authFailures.authenticate(authenticator, req.headers.authorization, req.socket.remoteAddress);
      const context: GatewayContext = {
        requestId,
        caller,
        log: requestLog.child({ callerId: caller.id }),
        ...(idempotencyKey ? { idempotencyKey } : {}),
      };
      tieToRequest(context, res); // the request observer finds the request by it
      return context;
    } catch (err) {
      noteErrorScope(err, scope); // formatError masks an unexpected one with the request id
      // Apollo answers the error with its status (auth/authFailures.ts); the headers are set here.
      const failure = authFailureOf(err);
      setAuthFailureHeaders(res, failure);
      if (failure.kind === 'SERVICE_UNAVAILABLE') requestLog.warn({ reason: failure.message }, 'cannot authenticate request');
      // RATE_LIMITED is counted, not logged: a flood would flood the log.
      else if (failure.kind !== 'RATE_LIMITED') requestLog.info({ reason: failure.message }, 'unauthenticated request');
      throw err;
    }
  });
}
