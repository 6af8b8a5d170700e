import { createHash } from 'node:crypto';

/** Idempotency keys: 1 to 128 printable ASCII characters. */
export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,128}$/;

/**
 * The insert_deduplication_token of one chunk: the caller, their key, the
 * chunk's index and a digest of its insert body (encodeRows: every field of
 * every row, in order). The same key with the same rows is stored once; the
 * same key with other rows is stored (never silently dropped as a
 * "duplicate"). One sha256 over the body text costs a few ms per 50k rows.
 */
export function chunkToken(
  source: 'graphql' | 'ndjson',
  callerId: string,
  key: string,
  chunkIndex: number,
  body: string,
): string {
  const digest = createHash('sha256').update(body).digest('hex').slice(0, 32);
  return `${source}:${callerId}:${key}:${chunkIndex}:${digest}`;
}
