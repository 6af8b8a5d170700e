import { createHash } from 'node:crypto';
import type { MetricRow } from '../store/ingestStore';

/** Idempotency keys: 1 to 128 printable ASCII characters. */
export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,128}$/;

/**
 * The insert_deduplication_token of one chunk: the caller, their key, the
 * chunk's index and a digest of its rows. The same key with the same rows is
 * stored once; the same key with other rows is stored (never silently
 * dropped as a "duplicate").
 */
export function chunkToken(
  source: 'graphql' | 'ndjson',
  callerId: string,
  key: string,
  chunkIndex: number,
  rows: readonly MetricRow[],
): string {
  const hash = createHash('sha256');
  for (const r of rows) {
    hash.update(`${r.runId}\t${r.name}\t${r.step}\t${r.timestampMs}\t${r.value}\t${JSON.stringify(r.tags)}\n`);
  }
  return `${source}:${callerId}:${key}:${chunkIndex}:${hash.digest('hex').slice(0, 32)}`;
}
