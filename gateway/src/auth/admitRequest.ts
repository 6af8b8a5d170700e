/**
 * The admission of a REST request on the gateway's port (POST /v1/metrics, GET
 * /v1/export/...): the caller authenticated like a GraphQL request (failed
 * attempts limited per client address), holding the scope the route needs, and
 * within its rate limit. A refusal is an AuthFailure, answered by the route
 * (sendAuthFailure) in its own words.
 */
import type { Caller } from '@lab/shared';
import type { Request } from 'express';
import type { RateLimiter } from '../protection/rateLimiter';
import type { Authenticator } from './authenticate';
import type { AuthFailureLimit } from './authFailureLimit';
import { type AuthFailure, authFailureOf } from './authFailures';
import { effectiveScopes } from './authorizeOperation';

export interface AdmissionOptions {
  authenticator: Authenticator;
  authFailures: AuthFailureLimit;
  rateLimit?: Pick<RateLimiter, 'acquire' | 'message'>;
}

export type RouteNeeds = {
  /** The rate limit's bucket the route draws from. */
  bucket: Parameters<RateLimiter['acquire']>[1];
  /** The credential as the route reads it; by default the request's Authorization header. */
  authorization?: string;
} & (
  | {
      scope: 'read' | 'write';
      /** The FORBIDDEN message when the caller's scopes lack `scope`. */
      forbidden: string;
    }
  /** A route whose operations check their own scopes (the MLflow API runs GraphQL operations). */
  | { scope?: undefined }
);

export async function admitRequest(
  options: AdmissionOptions,
  req: Request,
  needs: RouteNeeds,
): Promise<{ caller: Caller } | { failure: AuthFailure }> {
  let caller: Caller;
  try {
    caller = await options.authFailures.authenticate(
      options.authenticator,
      needs.authorization ?? req.headers.authorization,
      req.socket.remoteAddress,
    );
  } catch (err) {
    return { failure: authFailureOf(err) };
  }
  const scopes = effectiveScopes(caller);
  if (needs.scope && scopes && !scopes.has(needs.scope)) {
    return { failure: { kind: 'FORBIDDEN', message: needs.forbidden } };
  }
  const decision = await options.rateLimit?.acquire(caller.id, needs.bucket);
  if (decision && !decision.allowed) {
    const retryAfter = decision.retryAfterSeconds;
    const message = options.rateLimit?.message(retryAfter) ?? 'Rate limit exceeded';
    return { failure: { kind: 'RATE_LIMITED', message, retryAfter } };
  }
  return { caller };
}
