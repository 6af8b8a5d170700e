/**
 * Mutation.logMetrics: up to MAX_POINTS points of one run, all or nothing.
 * With an idempotencyKey (per caller and run) the points are stored once: a
 * retry of the same points answers the first attempt (`duplicate: true`)
 * without storing again, other points under the key are a CONFLICT.
 */
import { labError } from '@lab/shared';
import type { BaseContext } from '@lab/shared/subgraph';
import { encode, type IngestStore } from '../store/ingestStore';
import type { MetricRow } from '../store/types';
import type { RunAccess } from './runAccess';
import { chunkToken, IDEMPOTENCY_KEY, pointsDigest } from './tokens';
import { isUuid, type MetricPointInput, validatePoints } from './validate';

export const MAX_POINTS = 10_000;

export interface IngestContext extends BaseContext {
  runs: RunAccess;
}

export interface LogMetricsArgs {
  runId: string;
  points: (Omit<MetricPointInput, 'tags'> & { tags?: { key: string; value: string }[] | null })[];
  idempotencyKey?: string | null;
}

export async function logMetrics(store: IngestStore, args: LogMetricsArgs, ctx: IngestContext) {
  const { runId, points, idempotencyKey } = args;
  if (points.length > MAX_POINTS) {
    throw labError(
      'BAD_USER_INPUT',
      `At most ${MAX_POINTS} points per call (got ${points.length}); use POST /v1/metrics for more`,
    );
  }
  if (!isUuid(runId)) throw labError('BAD_USER_INPUT', 'runId must be a UUID', { field: 'runId' });
  if (idempotencyKey != null && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
    throw labError('BAD_USER_INPUT', 'idempotencyKey must be 1 to 128 printable ASCII characters', { field: 'idempotencyKey' });
  }
  const inputs: MetricPointInput[] = [];
  const duplicateTags: number[] = [];
  points.forEach((p, index) => {
    const tags: Record<string, string> = {};
    for (const t of p.tags ?? []) {
      if (Object.hasOwn(tags, t.key)) duplicateTags.push(index);
      tags[t.key] = t.value;
    }
    inputs.push({ name: p.name, value: p.value, step: p.step, timestamp: p.timestamp, tags });
  });
  const { points: valid, errors } = validatePoints(inputs, { now: Date.now(), retentionDays: store.retentionDays });
  for (const index of duplicateTags) errors.add(index, 'tag keys must be distinct');
  if (!errors.empty) {
    throw labError('BAD_USER_INPUT', errors.summary(), { errors: errors.errors, errorCount: errors.count });
  }
  const verdict = await ctx.runs.check(runId);
  if (!verdict.ok) throw labError(verdict.code, verdict.reason);
  const { experimentId } = verdict;
  const rows: MetricRow[] = valid.map((p) => ({
    name: p.name,
    value: p.value,
    step: p.step,
    timestampMs: p.timestampMs,
    tags: p.tags,
    runId,
    experimentId,
  }));
  const batch = encode(rows);
  if (!idempotencyKey) {
    await store.insert(batch, undefined);
    return { accepted: rows.length, duplicate: false };
  }
  // Keyed: the digest of the points as sent (no "now" filled in), so a retry is recognised whenever it comes.
  const key = `${runId}:${idempotencyKey}`;
  const digest = pointsDigest(points);
  const first = (await store.keys.recorded(ctx.caller.id, 'graphql', key)).get(0);
  if (first) {
    if (first.digest !== digest) {
      throw labError(
        'CONFLICT',
        `idempotencyKey ${JSON.stringify(idempotencyKey)} was used for other points of this run; send new points with a new key`,
        { idempotencyKey, reason: 'IDEMPOTENCY_KEY_REUSED' },
      );
    }
    return { accepted: first.rows, duplicate: true };
  }
  const { written } = await store.insert(batch, chunkToken('graphql', ctx.caller.id, key, 0, digest));
  await store.keys.record(ctx.caller.id, 'graphql', key, 0, { digest, rows: rows.length });
  // Whether ClickHouse dropped the block (two attempts at once), when it says (null on chdb).
  const duplicate = rows.length === 0 ? false : written === undefined ? null : written === 0;
  return { accepted: rows.length, duplicate };
}
