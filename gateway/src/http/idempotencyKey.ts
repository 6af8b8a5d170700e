/**
 * The Idempotency-Key header of a GraphQL request: 1 to 128 printable ASCII
 * characters (as on POST /v1/metrics). The gateway signs it into the caller
 * context of the subgraph operations that are mutations (execution/signedDataSource.ts);
 * the registry keeps each mutation's result under it, so a retry with the same
 * key and the same operation is answered without doing the work again.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { IDEMPOTENCY_KEY_HEADER, IDEMPOTENCY_KEY_PATTERN, labHttpError } from '@lab/shared';

/** The request's idempotency key, undefined when none; a malformed one is refused (400, BAD_USER_INPUT). */
export function idempotencyKeyOf(headers: IncomingHttpHeaders): string | undefined {
  const given = headers[IDEMPOTENCY_KEY_HEADER];
  if (given === undefined) return undefined;
  if (typeof given !== 'string' || !IDEMPOTENCY_KEY_PATTERN.test(given)) {
    throw labHttpError('BAD_USER_INPUT', 'Idempotency-Key must be 1 to 128 printable ASCII characters');
  }
  return given;
}
