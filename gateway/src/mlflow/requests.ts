/**
 * What every MLflow route does with its request before and after its handler:
 * the caller authenticated like GraphQL (Bearer API key or JWT; Basic with
 * the key as password, as MLflow's clients send MLFLOW_TRACKING_USERNAME and
 * PASSWORD) and a token of the caller's GraphQL rate limit taken, giving the
 * request's session (session.ts); errors answered as MLflow's
 * `{ error_code, message }`.
 */
import type { ApolloServer } from '@apollo/server';
import type { Caller, Logger } from '@lab/shared';
import type { Request, Response } from 'express';
import { admitRequest } from '../auth/admitRequest';
import type { Authenticator } from '../auth/authenticate';
import type { AuthFailureLimit } from '../auth/authFailureLimit';
import type { AuthFailureKind } from '../auth/authFailures';
import type { GatewayContext } from '../context';
import { idempotencyKeyOf } from '../http/idempotencyKey';
import { scopeOf, tieToRequest } from '../observability/requestId';
import type { RequestObserver } from '../observability/requestObserver';
import type { RateLimiter } from '../protection/rateLimiter';
import { MlflowError, type MlflowErrorCode } from './errors';
import type { Params } from './mapping';
import { type MlflowSession, openSession } from './session';

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

/** An endpoint: the method it needs (GET ones take POST too) and what it answers. */
export type MlflowHandlers = Record<
  string,
  { method: 'GET' | 'POST'; handler: (params: Params, session: MlflowSession) => Promise<object> }
>;

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

/** MLflow's error code for each way admission can fail. */
const ADMISSION_ERRORS: Readonly<Record<AuthFailureKind, MlflowErrorCode>> = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  EXPIRED_OR_REVOKED: 'UNAUTHENTICATED',
  FORBIDDEN: 'PERMISSION_DENIED',
  RATE_LIMITED: 'REQUEST_LIMIT_EXCEEDED',
  SERVICE_UNAVAILABLE: 'TEMPORARILY_UNAVAILABLE',
};

/** Authenticates the caller and takes a token of its GraphQL rate limit; a failure is thrown as MLflow's error. */
async function callerOf(options: MlflowRoutesOptions, req: Request): Promise<Caller> {
  const admitted = await admitRequest(options, req, {
    bucket: 'graphql',
    authorization: bearerOf(req.headers.authorization),
  });
  if ('caller' in admitted) return admitted.caller;
  const { kind, message, retryAfter } = admitted.failure;
  throw new MlflowError(ADMISSION_ERRORS[kind], message, retryAfter);
}

/** The session of an authenticated MLflow request. */
export async function sessionOf(options: MlflowRoutesOptions, req: Request, res: Response): Promise<MlflowSession> {
  const caller = await callerOf(options, req);
  const { requestId, log } = scopeOf(res);
  const idempotencyKey = idempotencyKeyOf(req.headers);
  return openSession(
    { apollo: options.apollo, ingestUrl: options.ingestUrl, internalSecret: options.internalSecret },
    { caller, requestId, log: log.child({ callerId: caller.id }), ...(idempotencyKey ? { idempotencyKey } : {}) },
    (context) => tieToRequest(context, res),
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
