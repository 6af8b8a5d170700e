/**
 * Validation of metric points, shared by Mutation.logMetrics and POST /v1/metrics.
 *
 * Rules (docs/ingestion.md states them for users):
 *  - name: `^[A-Za-z0-9_][A-Za-z0-9_./\-]{0,199}$` (1 to 200 characters).
 *  - value: a finite Float64. NaN and ±Infinity are rejected, never stored
 *    (JSON cannot carry them; a string "NaN" or an overflowing literal such as
 *    1e999, which JSON.parse reads as Infinity, are refused with a reason).
 *  - step: a non-negative safe integer (0 to 2^53 − 1).
 *  - timestamp: ISO-8601 string (UTC when it names no zone) or epoch milliseconds, newer
 *    than now − the retention (LAB_METRICS_RETENTION_DAYS, default 365 days: older points
 *    would fall to the table's TTL at once; with 0, any time from 1970-01-01) and at most
 *    now + 1 day; default now. So history is imported with its own timestamps.
 *  - tags: at most 20, string keys (1 to 256 characters) and string values (up to 256).
 * Every error is collected with the point's index; the list is capped at
 * MAX_REPORTED_ERRORS, with the total count beside it.
 */
import { METRIC_NAME, METRIC_NAME_RULE } from '@lab/shared';
import type { ValidPoint } from '../store/types';

export { METRIC_NAME };
export const MAX_TAGS = 20;
export const MAX_TAG_LENGTH = 256;
export const MAX_REPORTED_ERRORS = 100;
const DAY_MS = 86_400_000;
export const MAX_FUTURE_MS = DAY_MS;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;
const EPOCH_MS = /^\d{1,16}$/;
const HAS_ZONE = /(?:Z|[+-]\d{2}:?\d{2})$/;

/** A point as a client sends it. */
export interface MetricPointInput {
  name: unknown;
  value: unknown;
  step: unknown;
  timestamp?: unknown;
  tags?: unknown;
}

export interface PointError {
  /** Index of the point in the batch (0-based), or line number (1-based) for NDJSON. */
  index: number;
  reason: string;
}

export function isUuid(id: unknown): id is string {
  return typeof id === 'string' && UUID.test(id);
}

/** What a timestamp is checked against: the time now and the retention of metric points (0: forever). */
export interface TimeRules {
  now: number;
  retentionDays: number;
}

function parseTimestamp(raw: unknown, { now, retentionDays }: TimeRules): number | string {
  if (raw === undefined || raw === null) return now;
  let ms: number;
  if (typeof raw === 'number') ms = raw;
  else if (typeof raw === 'string' && EPOCH_MS.test(raw)) ms = Number(raw);
  // Without a zone, an ISO date-time is read as UTC (Date.parse would use the server's local time).
  else if (typeof raw === 'string' && ISO_8601.test(raw))
    ms = Date.parse(HAS_ZONE.test(raw) || raw.length === 10 ? raw : `${raw}Z`);
  else return 'timestamp must be an ISO-8601 string or epoch milliseconds';
  if (!Number.isFinite(ms) || !Number.isInteger(Math.floor(ms))) return 'timestamp is not a valid date';
  if (ms < 0) return 'timestamp is before 1970-01-01T00:00:00Z';
  if (retentionDays > 0 && ms <= now - retentionDays * DAY_MS) {
    return `timestamp ${new Date(ms).toISOString()} is older than the retention of metric points (${retentionDays} days, LAB_METRICS_RETENTION_DAYS): it would be dropped`;
  }
  if (ms > now + MAX_FUTURE_MS) return 'timestamp is more than 1 day in the future';
  return Math.floor(ms);
}

function parseTags(raw: unknown): Record<string, string> | string {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) return 'tags must be an object of string keys and string values';
  const entries = Object.entries(raw as Record<string, unknown>);
  if (entries.length > MAX_TAGS) return `at most ${MAX_TAGS} tags (got ${entries.length})`;
  const tags: Record<string, string> = {};
  for (const [key, value] of entries) {
    if (key.length === 0 || key.length > MAX_TAG_LENGTH) return `tag keys must have 1 to ${MAX_TAG_LENGTH} characters`;
    if (typeof value !== 'string') return `tag ${JSON.stringify(key.slice(0, 40))} must have a string value`;
    if (value.length > MAX_TAG_LENGTH)
      return `tag ${JSON.stringify(key.slice(0, 40))} is longer than ${MAX_TAG_LENGTH} characters`;
    tags[key] = value;
  }
  return tags;
}

/** Validates one point: the point, or every reason it is refused (joined). */
export function validatePoint(p: MetricPointInput, rules: TimeRules): ValidPoint | { reasons: string[] } {
  const reasons: string[] = [];
  const { name, value, step } = p;
  if (typeof name !== 'string' || !METRIC_NAME.test(name)) {
    reasons.push(`name must match ${METRIC_NAME_RULE}`);
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    reasons.push('value must be a finite number (NaN and ±Infinity are rejected)');
  }
  if (typeof step !== 'number' || !Number.isSafeInteger(step) || step < 0) {
    reasons.push('step must be a non-negative integer up to 2^53 − 1');
  }
  const timestamp = parseTimestamp(p.timestamp, rules);
  if (typeof timestamp === 'string') reasons.push(timestamp);
  const tags = parseTags(p.tags);
  if (typeof tags === 'string') reasons.push(tags);
  if (reasons.length > 0) return { reasons };
  return {
    name: name as string,
    value: value as number,
    step: step as number,
    timestampMs: timestamp as number,
    tags: tags as Record<string, string>,
  };
}

/** Collects errors up to MAX_REPORTED_ERRORS, counting every one. */
export class ErrorList {
  readonly errors: PointError[] = [];
  count = 0;
  add(index: number, reason: string): void {
    this.count++;
    if (this.errors.length < MAX_REPORTED_ERRORS) this.errors.push({ index, reason });
  }
  get empty(): boolean {
    return this.count === 0;
  }
  /** A one-line summary naming the first errors. */
  summary(unit = 'point'): string {
    const first = this.errors
      .slice(0, 3)
      .map((e) => `${unit} ${e.index}: ${e.reason}`)
      .join('; ');
    return `${this.count} invalid ${unit}${this.count === 1 ? '' : 's'} (${first}${this.count > 3 ? '; …' : ''}); nothing was stored`;
  }
}

/** Validates a whole batch: every valid point, and every error with its index. */
export function validatePoints(
  points: readonly MetricPointInput[],
  rules: TimeRules,
): { points: ValidPoint[]; errors: ErrorList } {
  const errors = new ErrorList();
  const valid: ValidPoint[] = [];
  points.forEach((p, index) => {
    const result = validatePoint(p, rules);
    if ('reasons' in result) errors.add(index, result.reasons.join('; '));
    else valid.push(result);
  });
  return { points: valid, errors };
}
