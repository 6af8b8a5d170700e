/**
 * How a failed authentication is answered, in one table for the gateway's
 * three doors: GraphQL over HTTP (/graphql), the WebSocket (at
 * connection_init, and when an open socket's credentials stop holding), and
 * POST /v1/metrics.
 *
 * | failure             | HTTP status, headers          | WebSocket close            |
 * | ------------------- | ----------------------------- | -------------------------- |
 * | UNAUTHENTICATED     | 401, WWW-Authenticate: Bearer | 4403 Forbidden             |
 * | FORBIDDEN           | 403                           | 4403 Forbidden             |
 * | RATE_LIMITED        | 429, Retry-After              | 4429, the message          |
 * | EXPIRED_OR_REVOKED  | 401, WWW-Authenticate: Bearer | 4403, why                  |
 * | SERVICE_UNAVAILABLE | 503                           | 1013 try again later       |
 *
 * EXPIRED_OR_REVOKED is what closes an open socket (auth/socketCredentials.ts):
 * its credentials expired, their key was revoked or its rights changed, or
 * they no longer authenticate an operation; a request over HTTP with such a
 * credential is simply UNAUTHENTICATED. SERVICE_UNAVAILABLE is an
 * authenticator that cannot tell (the registry or the JWKS unreachable): the
 * credential may be fine, so clients are told to retry, never that it is
 * refused (graphql-ws clients reconnect after 1013, not after a 44xx).
 *
 * The HTTP statuses are the registered ones (ERROR_CODES), which the errors
 * authenticators throw carry to Apollo; bodies are GraphQL's
 * `{ errors: [{ message, extensions: { code } }] }` on /graphql and
 * `{ code, message }` on POST /v1/metrics.
 */
import { ERROR_CODES, type ErrorCode } from '@lab/shared';
import type { Response } from 'express';

export type AuthFailureKind = 'UNAUTHENTICATED' | 'FORBIDDEN' | 'RATE_LIMITED' | 'EXPIRED_OR_REVOKED' | 'SERVICE_UNAVAILABLE';

export interface AuthFailureAnswer {
  /** The error code clients get (extensions.code, or `code` on POST /v1/metrics). */
  code: ErrorCode;
  /** HTTP status on /graphql and POST /v1/metrics. */
  status: number;
  /** Ask for a bearer credential (WWW-Authenticate: Bearer). */
  challenge: boolean;
  /** WebSocket close code. */
  closeCode: number;
  /** WebSocket close reason; without it, the failure's message. */
  closeReason?: string;
}

/** graphql-ws' close code for a connection refused: the client does not reconnect. */
const FORBIDDEN_CLOSE = 4403;

export const AUTH_FAILURE_ANSWERS: Readonly<Record<AuthFailureKind, AuthFailureAnswer>> = {
  UNAUTHENTICATED: {
    code: 'UNAUTHENTICATED',
    status: ERROR_CODES.UNAUTHENTICATED.httpStatus,
    challenge: true,
    closeCode: FORBIDDEN_CLOSE,
    closeReason: 'Forbidden',
  },
  FORBIDDEN: {
    code: 'FORBIDDEN',
    status: ERROR_CODES.FORBIDDEN.httpStatus,
    challenge: false,
    closeCode: FORBIDDEN_CLOSE,
    closeReason: 'Forbidden',
  },
  RATE_LIMITED: { code: 'RATE_LIMITED', status: ERROR_CODES.RATE_LIMITED.httpStatus, challenge: false, closeCode: 4429 },
  EXPIRED_OR_REVOKED: {
    code: 'UNAUTHENTICATED',
    status: ERROR_CODES.UNAUTHENTICATED.httpStatus,
    challenge: true,
    closeCode: FORBIDDEN_CLOSE,
  },
  // 1013 "try again later": graphql-ws clients retry it.
  SERVICE_UNAVAILABLE: {
    code: 'SERVICE_UNAVAILABLE',
    status: ERROR_CODES.SERVICE_UNAVAILABLE.httpStatus,
    challenge: false,
    closeCode: 1013,
  },
};

export interface AuthFailure {
  kind: AuthFailureKind;
  /** Said to the client: the body's message, or the close reason where the table has none. */
  message: string;
  /** Whole seconds until the client may try again (RATE_LIMITED). */
  retryAfter?: number;
}

const REFUSALS = new Set<unknown>(['FORBIDDEN', 'RATE_LIMITED', 'SERVICE_UNAVAILABLE']);

/**
 * The failure an error thrown while authenticating stands for: its code
 * FORBIDDEN, RATE_LIMITED or SERVICE_UNAVAILABLE, anything else UNAUTHENTICATED.
 */
export function authFailureOf(err: unknown): AuthFailure {
  const extensions = (err as { extensions?: { code?: unknown; retryAfter?: unknown } } | undefined)?.extensions;
  const kind = REFUSALS.has(extensions?.code) ? (extensions?.code as AuthFailureKind) : 'UNAUTHENTICATED';
  const message = err instanceof Error ? err.message : String(err);
  return typeof extensions?.retryAfter === 'number' ? { kind, message, retryAfter: extensions.retryAfter } : { kind, message };
}

/** Sets the failure's HTTP headers: WWW-Authenticate to ask for a credential, Retry-After when it is limited. */
export function setAuthFailureHeaders(res: Response, failure: AuthFailure): void {
  if (AUTH_FAILURE_ANSWERS[failure.kind].challenge) res.setHeader('WWW-Authenticate', 'Bearer');
  if (failure.retryAfter !== undefined) res.setHeader('Retry-After', String(failure.retryAfter));
}

/**
 * Answers an HTTP request with the failure: status, headers and a body in
 * the route's shape (`graphql` on /graphql, `ingest` on POST /v1/metrics).
 * A response already under way is cut instead.
 */
export function sendAuthFailure(res: Response, failure: AuthFailure, shape: 'graphql' | 'ingest'): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const { code, status } = AUTH_FAILURE_ANSWERS[failure.kind];
  setAuthFailureHeaders(res, failure);
  const retryAfter = failure.retryAfter === undefined ? {} : { retryAfter: failure.retryAfter };
  res
    .status(status)
    .json(
      shape === 'graphql'
        ? { errors: [{ message: failure.message, extensions: { code, ...retryAfter } }] }
        : { code, message: failure.message },
    );
}

/** A WebSocket close reason: at most 123 bytes. */
const closeReason = (text: string) =>
  Buffer.from(text)
    .subarray(0, 123)
    .toString('utf8')
    .replace(/\uFFFD$/, '');

/** Closes a WebSocket with the failure's code and reason. */
export function closeWithAuthFailure(socket: { close(code: number, reason: string): void }, failure: AuthFailure): void {
  const { closeCode, closeReason: reason } = AUTH_FAILURE_ANSWERS[failure.kind];
  socket.close(closeCode, closeReason(reason ?? failure.message));
}
