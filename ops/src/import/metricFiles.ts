/**
 * An MLflow metric file (lines "timestamp value step": epoch milliseconds, a
 * float as Python writes it, an integer; old files have no step, meaning 0)
 * read into columns, and cut into the NDJSON bodies `POST /v1/metrics` takes.
 * A line the platform would refuse (NaN or infinite values, a negative or
 * fractional step, a malformed line) is counted and left out here.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';

export interface MetricColumns {
  timestamps: Float64Array;
  values: Float64Array;
  steps: Float64Array;
  /** Points kept (the first `length` entries of each column). */
  length: number;
  /** Lines left out, and the first of them as an example. */
  invalid: number;
  invalidExample: string | undefined;
}

/** The points of a metric file's text, in file order. */
export function parseMetricText(textOfFile: string): MetricColumns {
  // Every line but possibly the last ends with "\n": the count bounds the columns.
  let lines = 1;
  for (let i = textOfFile.indexOf('\n'); i !== -1; i = textOfFile.indexOf('\n', i + 1)) lines++;
  const timestamps = new Float64Array(lines);
  const values = new Float64Array(lines);
  const steps = new Float64Array(lines);
  let length = 0;
  let invalid = 0;
  let invalidExample: string | undefined;
  let start = 0;
  while (start < textOfFile.length) {
    let end = textOfFile.indexOf('\n', start);
    if (end === -1) end = textOfFile.length;
    const line = textOfFile.slice(start, end).trim();
    start = end + 1;
    if (line === '') continue;
    const [ts, value, step, extra] = line.split(/\s+/);
    const t = Number(ts);
    const v = Number(value);
    const s = step === undefined ? 0 : Number(step);
    if (
      extra !== undefined ||
      value === undefined ||
      !Number.isSafeInteger(t) ||
      t < 0 ||
      !Number.isFinite(v) ||
      !Number.isSafeInteger(s) ||
      s < 0
    ) {
      invalid++;
      invalidExample ??= line.slice(0, 80);
      continue;
    }
    timestamps[length] = t;
    values[length] = v;
    steps[length] = s;
    length++;
  }
  return { timestamps, values, steps, length, invalid, invalidExample };
}

export async function readMetricFile(file: string): Promise<MetricColumns> {
  return parseMetricText(await readFile(file, 'utf8'));
}

export interface NdjsonBatch {
  /** The request body: one point a line, each line ended by "\n". */
  body: string;
  /** Points in it. */
  points: number;
  /** Deterministic: the same points of the same run give the same key, so a retry or a re-run stores them once. */
  idempotencyKey: string;
}

/**
 * The body of points [from, to) of one metric of one run, leaving out points
 * at or before `cutoffMs` (older than the platform's retention).
 */
export function ndjsonBatch(
  runId: string,
  name: string,
  columns: MetricColumns,
  from: number,
  to: number,
  cutoffMs: number,
): NdjsonBatch {
  const prefix = `{"runId":${JSON.stringify(runId)},"name":${JSON.stringify(name)},"value":`;
  const lines: string[] = [];
  for (let i = from; i < to; i++) {
    const t = columns.timestamps[i] as number;
    if (t <= cutoffMs) continue;
    lines.push(`${prefix}${columns.values[i]},"step":${columns.steps[i]},"timestamp":${t}}\n`);
  }
  const body = lines.join('');
  return { body, points: lines.length, idempotencyKey: `mlflow-${createHash('sha256').update(body).digest('hex')}` };
}

/** How many points of [from, to) are at or before `cutoffMs`, and the oldest and newest of them. */
export function olderThan(
  columns: MetricColumns,
  from: number,
  to: number,
  cutoffMs: number,
): { count: number; oldestMs: number; newestMs: number } {
  let count = 0;
  let oldestMs = Number.POSITIVE_INFINITY;
  let newestMs = Number.NEGATIVE_INFINITY;
  for (let i = from; i < to; i++) {
    const t = columns.timestamps[i] as number;
    if (t > cutoffMs) continue;
    count++;
    if (t < oldestMs) oldestMs = t;
    if (t > newestMs) newestMs = t;
  }
  return { count, oldestMs, newestMs };
}
