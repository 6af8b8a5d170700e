/** Reading AWS SDK v3 errors: the S3 error code is the error's name; the HTTP status is in $metadata. */

export function errorName(err: unknown): string {
  return err instanceof Error ? err.name : String(err);
}

export function httpStatus(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

/** e.g. "NotImplemented (HTTP 501): A parameter you provided implies functionality that is not implemented" */
export function describeError(err: unknown): string {
  const status = httpStatus(err);
  const message = err instanceof Error ? err.message : '';
  return `${errorName(err)}${status ? ` (HTTP ${status})` : ''}${message && message !== errorName(err) ? `: ${message}` : ''}`;
}
