/** Edge checks of dataset version fields, each failing with BAD_USER_INPUT naming the field. */
import { labError } from '@lab/shared';

export const DATASET_FORMATS = ['parquet', 'csv', 'jsonl', 'json', 'arrow', 'tfrecord', 'txt', 'other'] as const;
export type DatasetFormat = (typeof DATASET_FORMATS)[number];

const MAX_BIGINT = 9_223_372_036_854_775_807n;
const SHA256 = /^(?:sha256:)?([0-9a-fA-F]{64})$/;

function bad(field: string, message: string): never {
  throw labError('BAD_USER_INPUT', `${field} ${message}`, { field });
}

/** A format from the whitelist, any case; stored lowercase. */
export function checkFormat(field: string, value: string): DatasetFormat {
  const format = value.trim().toLowerCase();
  if (!(DATASET_FORMATS as readonly string[]).includes(format)) {
    bad(field, `must be one of ${DATASET_FORMATS.join(', ')} (got "${value.slice(0, 40)}")`);
  }
  return format as DatasetFormat;
}

/** A size or row count: a non-negative integer that fits PostgreSQL's bigint. */
export function checkCount(field: string, value: unknown): bigint | undefined {
  if (value === undefined || value === null) return undefined;
  let n: bigint;
  if (typeof value === 'bigint') n = value;
  else if (typeof value === 'number' && Number.isSafeInteger(value)) n = BigInt(value);
  else if (typeof value === 'string' && /^-?\d+$/.test(value)) n = BigInt(value);
  else bad(field, 'must be an integer');
  if (n < 0n) bad(field, `must not be negative (got ${n})`);
  if (n > MAX_BIGINT) bad(field, `must be at most ${MAX_BIGINT}`);
  return n;
}

/** A SHA-256 checksum, "sha256:<64 hex>" or the 64 hex digits; stored as "sha256:<lowercase hex>". */
export function checkChecksum(field: string, value: string | null | undefined): string | undefined {
  if (value === undefined || value === null) return undefined;
  const match = SHA256.exec(value.trim());
  if (!match) bad(field, 'must be sha256:<64 hex digits> or 64 hex digits');
  return `sha256:${match[1]!.toLowerCase()}`;
}
