/**
 * The one registry of error codes. Every error leaves the platform with
 * `extensions.code` set to one of these; `httpStatus` is what a whole-request
 * failure with that code answers.
 */
import { GraphQLError, type GraphQLFormattedError } from 'graphql';

export const ERROR_CODES = {
  BAD_USER_INPUT: {
    httpStatus: 400,
    description: 'The input is invalid; the message says which field and why. Nothing was written.',
  },
  UNAUTHENTICATED: {
    httpStatus: 401,
    description: 'No valid credentials: missing, unknown, revoked or expired API key or token, or an unsigned internal call.',
  },
  FORBIDDEN: { httpStatus: 403, description: 'The caller is known but may not do this.' },
  NOT_FOUND: { httpStatus: 404, description: 'The entity does not exist or the caller may not see it.' },
  CONFLICT: {
    httpStatus: 409,
    description:
      'The request conflicts with the current state (a duplicate name, an illegal status transition, an idempotency key reused with other input).',
  },
  PAYLOAD_TOO_LARGE: { httpStatus: 413, description: 'The request body is larger than the configured limit.' },
  RATE_LIMITED: { httpStatus: 429, description: 'Too many requests; retry after the time in Retry-After.' },
  SERVICE_UNAVAILABLE: {
    httpStatus: 503,
    description: 'A store or subgraph is down or timed out; the message names it. Safe to retry.',
  },
  INTERNAL: { httpStatus: 500, description: 'An unexpected failure; details are in the logs under the request id.' },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERROR_CODES, code);
}

/** A GraphQL error with a registered code (and any extra extensions, e.g. the failing service). */
export function labError(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { ...extensions, code } });
}

/** The same, carrying an HTTP status: for errors that fail the whole request (e.g. in a context function). */
export function labHttpError(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, {
    extensions: { ...extensions, code, http: { status: ERROR_CODES[code].httpStatus } },
  });
}

/** Apollo's own codes for a request that is not valid GraphQL, answered as BAD_USER_INPUT. */
const INPUT_CODES = new Set(['GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_REQUEST', 'OPERATION_RESOLUTION_FAILURE']);
/** Protocol codes clients act on (automatic persisted queries) and that pass unchanged. */
const PROTOCOL_CODES = new Set(['PERSISTED_QUERY_NOT_FOUND', 'PERSISTED_QUERY_NOT_SUPPORTED']);

export type FormattedError = GraphQLFormattedError;

/** Whether an error with this code is one the platform meant to answer (anything else is a bug to log). */
export function isExpectedErrorCode(code: unknown): boolean {
  if (isErrorCode(code)) return code !== 'INTERNAL';
  return typeof code === 'string' && (PROTOCOL_CODES.has(code) || INPUT_CODES.has(code));
}

/**
 * Apollo Server's formatError: registered codes pass, invalid-request codes
 * become BAD_USER_INPUT, anything else is masked as INTERNAL with the request id,
 * so stack traces and driver messages never leave the platform.
 */
export function maskError(
  formatted: FormattedError,
  requestId: string | undefined,
  onInternal?: (formatted: FormattedError) => void,
): FormattedError {
  const { stacktrace: _stack, http: _http, ...extensions } = formatted.extensions ?? {};
  const code = extensions.code;
  if (isErrorCode(code) && code !== 'INTERNAL') return { ...formatted, extensions };
  if (typeof code === 'string' && PROTOCOL_CODES.has(code)) return { ...formatted, extensions };
  if (typeof code === 'string' && INPUT_CODES.has(code)) {
    return { ...formatted, extensions: { ...extensions, code: 'BAD_USER_INPUT', reason: code } };
  }
  onInternal?.(formatted);
  return {
    message: `Internal error${requestId ? ` (request id ${requestId})` : ''}`,
    ...(formatted.path ? { path: formatted.path } : {}),
    extensions: { code: 'INTERNAL', ...(requestId ? { requestId } : {}) },
  };
}
