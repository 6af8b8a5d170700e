/**
 * Idempotency of metric ingestion: the keys clients send, the digest of what
 * they sent, and the insert deduplication token made of both.
 *
 * A digest covers the points as the client sent them, before the server fills
 * anything in (a point without a timestamp is stored at "now"): a retry of the
 * same points has the same digest whenever it comes, so its token matches the
 * first attempt's and its key's record (store/ingestKeysStore.ts) tells it apart
 * from other points sent under the same key.
 */
import { createHash } from 'node:crypto';

/** Idempotency keys: 1 to 128 printable ASCII characters. */
export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,128}$/;

/** sha256 (32 hex digits) of texts, each ended by a newline: NDJSON lines as they came. */
export function digestOf(texts: Iterable<string>): string {
  const hash = createHash('sha256');
  for (const text of texts) hash.update(text).update('\n');
  return hash.digest('hex').slice(0, 32);
}

/** A logMetrics point as the client sent it. */
export interface SentPoint {
  name: unknown;
  value: unknown;
  step: unknown;
  timestamp?: unknown;
  tags?: readonly { key: unknown; value: unknown }[] | null;
}

/** The digest of logMetrics points as sent: every field in order, an absent timestamp or tags as null. */
export function pointsDigest(points: readonly SentPoint[]): string {
  return digestOf(
    points.map((p) =>
      JSON.stringify([p.name, p.value, p.step, p.timestamp ?? null, p.tags ? p.tags.map((t) => [t.key, t.value]) : null]),
    ),
  );
}

/**
 * The insert_deduplication_token of one chunk: the caller, their key, the
 * chunk's index and the digest of what the client sent for it. The same key
 * with the same points is stored once, whatever "now" the server filled in.
 */
export function chunkToken(
  source: 'graphql' | 'ndjson',
  callerId: string,
  key: string,
  chunkIndex: number,
  digest: string,
): string {
  return `${source}:${callerId}:${key}:${chunkIndex}:${digest}`;
}
