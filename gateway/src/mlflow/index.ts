/**
 * MLflow's tracking REST API on the gateway's port (docs/api/mlflow.md):
 * /api/2.0/mlflow/... and /ajax-api/2.0/mlflow/... (the routes MLflow's UI
 * calls), plus the mlflow-artifacts proxy routes. Each request is
 * authenticated like GraphQL (Bearer API key or JWT; Basic with the key as
 * password, as MLflow's clients send MLFLOW_TRACKING_USERNAME/PASSWORD), takes
 * a token of the caller's GraphQL rate limit, then its handler runs
 * GraphQL operations as the caller (session.ts). Errors answer MLflow's
 * `{ error_code, message }`.
 */
import type { ApolloServer } from '@apollo/server';
import type { Caller, Logger } from '@lab/shared';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { Authenticator } from '../auth/authenticate';
import type { AuthFailureLimit } from '../auth/authFailureLimit';
import { authFailureOf } from '../auth/authFailures';
import type { GatewayContext } from '../context';
import { idempotencyKeyOf } from '../http/idempotencyKey';
import { enterRequestScope, scopeOf } from '../observability/requestId';
import type { RequestObserver } from '../observability/requestObserver';
import type { RateLimiter } from '../protection/rateLimiter';
import { artifactRoutes } from './artifacts';
import { invalid, MlflowError } from './errors';
import { experimentHandlers } from './experiments';
import type { Params } from './mapping';
import { metricHandlers } from './metrics';
import { modelHandlers } from './models';
import { runHandlers } from './runs';
import { type MlflowSession, openSession } from './session';

export const MLFLOW_PATHS = ['/api/2.0/mlflow', '/ajax-api/2.0/mlflow'] as const;
export const MLFLOW_ARTIFACTS_PATH = '/api/2.0/mlflow-artifacts';

export interface MlflowRoutesOptions {
  apollo: ApolloServer<GatewayContext>;
  authenticator: Authenticator;
  authFailures: AuthFailureLimit;
  rateLimit: Pick<RateLimiter, 'acquire' | 'message'>;
  observer: Pick<RequestObserver, 'observe'>;
  /** The metrics subgraph's ingest URL (POST /v1/metrics there). */
  ingestUrl: string;
  internalSecret: string;
  log: Logger;
  /** Largest JSON body, in bytes (log-batch's 1,000 metrics take about 100 KB). */
  bodyLimitBytes: number;
}

type Handler = (params: Params, session: MlflowSession) => Promise<object>;
const HANDLERS: Record<string, { method: 'GET' | 'POST'; handler: Handler }> = {
  ...experimentHandlers,
  ...runHandlers,
  ...metricHandlers,
  ...modelHandlers,
};

export function sendMlflowError(res: Response, err: MlflowError): void {
  if (res.headersSent) return void res.destroy();
  if (err.errorCode === 'UNAUTHENTICATED') res.setHeader('WWW-Authenticate', 'Bearer');
  if (err.retryAfter !== undefined) res.setHeader('Retry-After', String(err.retryAfter));
  res.status(err.status).json(err.body);
}

/** MLflow's clients send the token as Bearer, or user and password as Basic: the password is the API key. */
export function bearerOf(authorization: string | undefined): string | undefined {
  if (!authorization?.startsWith('Basic ')) return authorization;
  const decoded = Buffer.from(authorization.slice(6), 'base64').toString();
  const colon = decoded.indexOf(':');
  return colon < 0 ? authorization : `Bearer ${decoded.slice(colon + 1)}`;
}

/** Authenticates the caller and takes a rate-limit token; a failure is thrown as MLflow's error. */
async function callerOf(options: MlflowRoutesOptions, req: Request): Promise<Caller> {
  let caller: Caller;
  try {
    caller = await options.authFailures.authenticate(
      options.authenticator,
      bearerOf(req.headers.authorization),
      req.socket.remoteAddress,
    );
  } catch (err) {
    const failure = authFailureOf(err);
    const code = failure.kind === 'EXPIRED_OR_REVOKED' ? 'UNAUTHENTICATED' : failure.kind;
    throw new MlflowError(
      code === 'FORBIDDEN'
        ? 'PERMISSION_DENIED'
        : code === 'RATE_LIMITED'
          ? 'REQUEST_LIMIT_EXCEEDED'
          : code === 'SERVICE_UNAVAILABLE'
            ? 'TEMPORARILY_UNAVAILABLE'
            : 'UNAUTHENTICATED',
      failure.message,
      failure.retryAfter,
    );
  }
  const decision = await options.rateLimit.acquire(caller.id, 'graphql');
  if (!decision.allowed)
    throw new MlflowError(
      'REQUEST_LIMIT_EXCEEDED',
      options.rateLimit.message(decision.retryAfterSeconds),
      decision.retryAfterSeconds,
    );
  return caller;
}

/** The session of an authenticated MLflow request. */
export async function sessionOf(options: MlflowRoutesOptions, req: Request, res: Response): Promise<MlflowSession> {
  const caller = await callerOf(options, req);
  const { requestId, log } = scopeOf(res);
  const idempotencyKey = idempotencyKeyOf(req.headers);
  return openSession(
    { apollo: options.apollo, ingestUrl: options.ingestUrl, internalSecret: options.internalSecret },
    { caller, requestId, log: log.child({ callerId: caller.id }), ...(idempotencyKey ? { idempotencyKey } : {}) },
  );
}

/** Answers an error thrown by a handler: MLflow's own, or an unexpected one as INTERNAL_ERROR (logged). */
export function answerError(res: Response, err: unknown): void {
  if (err instanceof MlflowError) {
    sendMlflowError(res, err);
    return;
  }
  const { requestId, log } = scopeOf(res);
  log.error({ err }, 'internal error in the MLflow API');
  sendMlflowError(res, new MlflowError('INTERNAL_ERROR', `Internal error (request id ${requestId})`));
}

export function mlflowRoutes(options: MlflowRoutesOptions): Router {
  const router = express.Router();
  const json = express.json({ limit: options.bodyLimitBytes, type: () => true });
  router.use(MLFLOW_ARTIFACTS_PATH, options.observer.observe, enterRequestScope, artifactRoutes(options));
  for (const base of MLFLOW_PATHS) {
    router.all(`${base}/*endpoint`, options.observer.observe, (req: Request, res: Response, next: NextFunction) => {
      if (req.method !== 'GET' && req.method !== 'HEAD') return json(req, res, next);
      next();
    });
    router.all(`${base}/*endpoint`, enterRequestScope, async (req: Request, res: Response) => {
      const endpoint = String(req.path.slice(base.length + 1)).replace(/\/$/, '');
      const route = HANDLERS[`${req.method === 'DELETE' ? 'DELETE ' : ''}${endpoint}`];
      if (!route) {
        return sendMlflowError(
          res,
          new MlflowError('ENDPOINT_NOT_FOUND', `No MLflow endpoint ${req.method} ${req.path} on this server`),
        );
      }
      if (route.method === 'POST' && (req.method === 'GET' || req.method === 'HEAD')) {
        res.setHeader('Allow', 'POST');
        return res.status(405).json({ error_code: 'ENDPOINT_NOT_FOUND', message: `${endpoint} changes data: send it by POST` });
      }
      try {
        const session = await sessionOf(options, req, res);
        const body: unknown = req.body ?? {};
        if (body === null || typeof body !== 'object' || Array.isArray(body))
          throw invalid('The request body must be a JSON object');
        const params = { ...(req.query as Params), ...(body as Params) };
        res.json(await route.handler(params, session));
      } catch (err) {
        answerError(res, err);
      }
    });
  }
  // A body express could not read (not JSON, too large) on these routes: MLflow's error shape.
  router.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (!req.path.startsWith('/api/2.0/') && !req.path.startsWith('/ajax-api/2.0/')) return next(err);
    const type = (err as { type?: unknown }).type;
    const message =
      type === 'entity.too.large'
        ? `Request body is larger than ${options.bodyLimitBytes} bytes`
        : 'Request body is not valid JSON';
    sendMlflowError(res, invalid(message));
  });
  return router;
}
