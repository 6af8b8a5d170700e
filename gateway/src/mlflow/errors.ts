/**
 * MLflow's error answer, `{ error_code, message }` with its HTTP status, and
 * the mapping from the platform's codes (extensions.code of a GraphQL error,
 * `code` of an ingest answer) to MLflow's: NOT_FOUND is
 * RESOURCE_DOES_NOT_EXIST (404), BAD_USER_INPUT INVALID_PARAMETER_VALUE
 * (400), CONFLICT RESOURCE_ALREADY_EXISTS, INVALID_PARAMETER_VALUE (a
 * param logged with another value) or INVALID_STATE (400),
 * FORBIDDEN PERMISSION_DENIED (403), UNAUTHENTICATED (401), RATE_LIMITED
 * REQUEST_LIMIT_EXCEEDED (429), SERVICE_UNAVAILABLE TEMPORARILY_UNAVAILABLE
 * (503), anything else INTERNAL_ERROR (500).
 */

export type MlflowErrorCode =
  | 'RESOURCE_DOES_NOT_EXIST'
  | 'INVALID_PARAMETER_VALUE'
  | 'RESOURCE_ALREADY_EXISTS'
  | 'INVALID_STATE'
  | 'PERMISSION_DENIED'
  | 'UNAUTHENTICATED'
  | 'REQUEST_LIMIT_EXCEEDED'
  | 'TEMPORARILY_UNAVAILABLE'
  | 'ENDPOINT_NOT_FOUND'
  | 'INTERNAL_ERROR';

export const MLFLOW_HTTP_STATUS: Readonly<Record<MlflowErrorCode, number>> = {
  RESOURCE_DOES_NOT_EXIST: 404,
  INVALID_PARAMETER_VALUE: 400,
  RESOURCE_ALREADY_EXISTS: 400,
  INVALID_STATE: 400,
  PERMISSION_DENIED: 403,
  UNAUTHENTICATED: 401,
  REQUEST_LIMIT_EXCEEDED: 429,
  TEMPORARILY_UNAVAILABLE: 503,
  ENDPOINT_NOT_FOUND: 404,
  INTERNAL_ERROR: 500,
};

export class MlflowError extends Error {
  readonly status: number;
  constructor(
    readonly errorCode: MlflowErrorCode,
    message: string,
    /** Seconds the client should wait (REQUEST_LIMIT_EXCEEDED, TEMPORARILY_UNAVAILABLE). */
    readonly retryAfter?: number,
  ) {
    super(message);
    this.status = MLFLOW_HTTP_STATUS[errorCode];
  }
  get body(): { error_code: MlflowErrorCode; message: string } {
    return { error_code: this.errorCode, message: this.message };
  }
}

/** INVALID_PARAMETER_VALUE: what a handler throws for a bad request field. */
export function invalid(message: string): MlflowError {
  return new MlflowError('INVALID_PARAMETER_VALUE', message);
}

export function notFound(message: string): MlflowError {
  return new MlflowError('RESOURCE_DOES_NOT_EXIST', message);
}

/**
 * MLflow's code for one of ours. A CONFLICT is RESOURCE_ALREADY_EXISTS when it
 * is about a name taken, INVALID_PARAMETER_VALUE for a param logged with
 * another value, else INVALID_STATE (a run not RUNNING, an idempotency key reused).
 */
export function mlflowCodeOf(code: unknown, message = ''): MlflowErrorCode {
  switch (code) {
    case 'NOT_FOUND':
      return 'RESOURCE_DOES_NOT_EXIST';
    case 'BAD_USER_INPUT':
    case 'GRAPHQL_VALIDATION_FAILED':
    case 'GRAPHQL_PARSE_FAILED':
    case 'PAYLOAD_TOO_LARGE':
      return 'INVALID_PARAMETER_VALUE';
    case 'CONFLICT':
      // MLflow: changing a logged param's value is INVALID_PARAMETER_VALUE; a name taken RESOURCE_ALREADY_EXISTS.
      if (/\bparams?\b/i.test(message)) return 'INVALID_PARAMETER_VALUE';
      return /already|exists|taken|named/i.test(message) ? 'RESOURCE_ALREADY_EXISTS' : 'INVALID_STATE';
    case 'FORBIDDEN':
      return 'PERMISSION_DENIED';
    case 'UNAUTHENTICATED':
      return 'UNAUTHENTICATED';
    case 'RATE_LIMITED':
      return 'REQUEST_LIMIT_EXCEEDED';
    case 'SERVICE_UNAVAILABLE':
      return 'TEMPORARILY_UNAVAILABLE';
    default:
      return 'INTERNAL_ERROR';
  }
}

/** The MLflow error for the first of a GraphQL answer's errors. */
export function fromGraphQLError(error: { message: string; extensions?: Record<string, unknown> }): MlflowError {
  const code = error.extensions?.code;
  const retryAfter = typeof error.extensions?.retryAfter === 'number' ? error.extensions.retryAfter : undefined;
  return new MlflowError(mlflowCodeOf(code, error.message), error.message, retryAfter);
}
