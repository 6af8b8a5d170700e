/**
 * The SQL of metric series for charts: any number of runs and metric names in
 * ONE query, each (run, metric) either whole (exact) or cut into buckets on a
 * step grid, with an optional step range (fromStep..toStep, both inclusive)
 * and time window (from inclusive, to exclusive).
 *
 * The grid: a (run, metric) with at most maxPoints points in the range comes
 * back as its points (exact). Otherwise buckets of equal width over step, on a
 * grid spanning glo..ghi: fromStep and toStep when given, else the first and
 * last step logged in the range, of the (run, metric) itself (`run` grids:
 * Run.metricSeries) or of all the runs asked for that metric (`metric` grids:
 * compareRuns, so overlaid curves share every bucket boundary). With
 * narrow = ceil((ghi - glo + 1) / maxPoints): under STEP_BLOCK steps, buckets
 * are `narrow` steps wide from glo and read from the points; from there on
 * they are whole blocks of the step_blocks projection: origin = glo rounded
 * down to a multiple of STEP_BLOCK, width = ceil((ghi - origin + 1) /
 * maxPoints) rounded up to a multiple of STEP_BLOCK.
 *
 * The projection: every aggregate is taken over "units", the blocks of
 * STEP_BLOCK steps lying wholly inside the step range (GROUP BY intDiv(step,
 * 256) with a filter on intDiv(step, 256) alone, which ClickHouse answers from
 * step_blocks: about n / 256 rows) plus, one unit per point, the points of the
 * at most two blocks the range cuts. Counts, first and last steps and wide
 * buckets come from units; exact and narrow series read their points, which
 * the primary key (run_id, metric_name, step, ...) narrows to the range. A
 * time window mixes timestamps inside blocks, so with one ClickHouse reads
 * points (the answer is the same). A zoom (fromStep and toStep both given,
 * under STEP_BLOCK steps a bucket) needs no units: its grid is known before
 * reading, so the query counts the range's points and reads them, nothing
 * else (measured on chdb: about a tenth of the general query's time).
 *
 * A bucket reports its last point (largest step: argMax, any one of several
 * at that step) as step, timestamp and value, and min, max and count over all
 * its points, so spikes survive in min/max; bucketStart is its first step on
 * the grid. Rows with n = 0 only say that a (run, metric) was logged at all
 * (asked when a range could leave it without points).
 */
import { STEP_BLOCK } from './migrations';
import type { SeriesRow, SeriesWindow } from './types';

const B = STEP_BLOCK;

/** `run`: a grid per (run, metric); `metric`: one grid per metric across the runs. */
export type GridScope = 'run' | 'metric';

export interface SeriesQuery {
  query: string;
  params: Record<string, unknown>;
}

/** The conditions a window puts on points, and on whole blocks of STEP_BLOCK steps. */
interface Filters {
  /** Runs and names. */
  base: string;
  /** ` AND ...` on timestamps, or ''. */
  time: string;
  /** ` AND ...` on steps, or ''. */
  range: string;
  /** The conditions on intDiv(step, B) that select the blocks wholly inside the step range; null: none is. */
  interior: string[] | null;
}

function filters(w: SeriesWindow, params: Record<string, unknown>): Filters {
  let time = '';
  if (w.fromMs !== undefined) {
    time += ` AND timestamp >= fromUnixTimestamp64Milli({fromMs:Int64}, 'UTC')`;
    params.fromMs = w.fromMs;
  }
  if (w.toMs !== undefined) {
    time += ` AND timestamp < fromUnixTimestamp64Milli({toMs:Int64}, 'UTC')`;
    params.toMs = w.toMs;
  }
  let range = '';
  let interior: string[] | null = [];
  const firstBlock = w.fromStep === undefined ? 0 : Math.ceil(w.fromStep / B);
  if (w.fromStep !== undefined) {
    range += ' AND step >= {fromStep:UInt64}';
    params.fromStep = w.fromStep;
    params.firstBlock = firstBlock;
    interior.push(`intDiv(step, ${B}) >= {firstBlock:UInt64}`);
  }
  if (w.toStep !== undefined) {
    range += ' AND step <= {toStep:UInt64}';
    params.toStep = w.toStep;
    const lastBlock = Math.floor((w.toStep + 1) / B) - 1;
    if (lastBlock < firstBlock) interior = null;
    else {
      params.lastBlock = lastBlock;
      interior.push(`intDiv(step, ${B}) <= {lastBlock:UInt64}`);
    }
  }
  return { base: 'run_id IN {runIds:Array(UUID)} AND metric_name IN {names:Array(String)}', time, range, interior };
}

/** Output columns of a points branch (exact, or narrow buckets), given expressions for mode, origin and width. */
function pointsBranch(table: string, f: Filters, mode: string, origin: string, width: string, only = ''): string {
  return `SELECT toString(run_id) AS rid, metric_name AS metric, ${mode} AS mode, ${origin} AS origin,
  if(mode = 0, toUInt64(0), ${width}) AS bucket_width,
  toUInt64(if(mode = 0, step, origin + intDiv(step - origin, bucket_width) * bucket_width)) AS bucket_start,
  if(mode = 0, toUnixTimestamp64Milli(timestamp), 0) AS tkey,
  max(step) AS last_step, toUnixTimestamp64Milli(argMax(timestamp, step)) AS ts,
  argMax(metric_value, step) AS value, min(metric_value) AS lo_value, max(metric_value) AS hi_value, count() AS n
FROM ${table}
WHERE ${f.base}${f.time}${f.range}${only}
GROUP BY run_id, metric_name, mode, origin, bucket_width, bucket_start, tkey`;
}

/** Rows with n = 0 for every (run, metric) logged at all: needed when a window may leave one without points. */
function loggedBranch(table: string, f: Filters): string {
  if (f.range === '' && f.time === '') return '';
  return `
UNION ALL
SELECT toString(run_id) AS rid, metric_name AS metric, toUInt8(0) AS mode, toUInt64(0) AS origin, toUInt64(0) AS bucket_width,
  toUInt64(0) AS bucket_start, 0 AS tkey, toUInt64(0) AS last_step, 0 AS ts, 0 AS value, 0 AS lo_value, 0 AS hi_value, toUInt64(0) AS n
FROM ${table} WHERE ${f.base} GROUP BY run_id, metric_name`;
}

const KEY = 'cityHash64(run_id, metric_name)';
const ORDER = 'ORDER BY rid, metric, bucket_start, tkey';

/**
 * The query for these runs, names and window on `table` (qualified). Modes:
 * 0 exact, 1 narrow buckets (from points), 2 wide buckets (from units). A
 * per-(run, metric) plan is a scalar subquery (evaluated once; its arrays are
 * constants that transform() looks up by a hash of run and name).
 */
export function seriesQuery(
  table: string,
  runIds: readonly string[],
  names: readonly string[],
  w: SeriesWindow,
  scope: GridScope,
): SeriesQuery {
  const params: Record<string, unknown> = { runIds, names, maxPoints: w.maxPoints };
  const f = filters(w, params);
  const M = '{maxPoints:UInt32}';
  if (w.fromStep !== undefined && w.toStep !== undefined) {
    const narrow = Math.ceil((w.toStep - w.fromStep + 1) / w.maxPoints);
    if (narrow < B) {
      // A zoom: the grid is fromStep..toStep, narrow buckets; only the count decides exactness, so one
      // plan over the range's points and one read of them (the primary key narrows both to the range).
      params.width = narrow;
      const query = `WITH (SELECT (groupArray(k), groupArray(c)) FROM (
  SELECT ${KEY} AS k, count() AS c FROM ${table} WHERE ${f.base}${f.time}${f.range} GROUP BY run_id, metric_name
)) AS plan
SELECT * FROM (
${pointsBranch(table, f, `toUInt8(if(transform(${KEY}, plan.1, plan.2, toUInt64(0)) <= ${M}, 0, 1))`, 'toUInt64({fromStep:UInt64})', 'toUInt64({width:UInt64})')}${loggedBranch(table, f)}
)
${ORDER}`;
      return { query, params };
    }
  }

  const blocks = `SELECT run_id, metric_name, intDiv(step, ${B}) AS block, min(step) AS first_step, max(step) AS last_step,
    count() AS n, min(metric_value) AS lo_value, max(metric_value) AS hi_value,
    argMax(metric_value, step) AS value, argMax(timestamp, step) AS ts
  FROM ${table} WHERE ${f.base}${f.time}${(f.interior ?? []).map((c) => ` AND ${c}`).join('')}
  GROUP BY run_id, metric_name, intDiv(step, ${B})`;
  const edges = `SELECT run_id, metric_name, intDiv(step, ${B}) AS block, step AS first_step, step AS last_step,
    toUInt64(1) AS n, metric_value AS lo_value, metric_value AS hi_value, metric_value AS value, timestamp AS ts
  FROM ${table} WHERE ${f.base}${f.time}${f.range}${f.interior ? ` AND NOT (${f.interior.join(' AND ')})` : ''}`;
  const units = f.interior === null ? edges : f.range === '' ? blocks : `${blocks}\n  UNION ALL\n  ${edges}`;

  const over = (agg: string, column: string) =>
    scope === 'metric' ? `${agg}(${column}) OVER (PARTITION BY metric_name)` : column;
  const glo = w.fromStep !== undefined ? '{fromStep:UInt64}' : over('min', 'lo');
  const ghi = w.toStep !== undefined ? '{toStep:UInt64}' : over('max', 'hi');
  const look = (i: number, fallback: string) => `transform(${KEY}, plan.1, plan.${i}, ${fallback})`;
  const query = `WITH units AS (
  ${units}
), grid AS (
  SELECT run_id, metric_name, toUInt8(multiIf(total <= ${M}, 0, narrow < ${B}, 1, 2)) AS mode,
    toUInt64(intDiv(ghi - glo + ${M}, ${M})) AS narrow, toUInt64(if(mode = 2, glo - glo % ${B}, glo)) AS origin,
    toUInt64(if(mode = 2, ${B} * intDiv(intDiv(ghi - origin + ${M}, ${M}) + ${B - 1}, ${B}), narrow)) AS width
  FROM (
    SELECT run_id, metric_name, total, toUInt64(${glo}) AS glo, toUInt64(${ghi}) AS ghi FROM (
      SELECT run_id, metric_name, sum(n) AS total, min(first_step) AS lo, max(last_step) AS hi
      FROM units GROUP BY run_id, metric_name
    )
  )
), (SELECT (groupArray(${KEY}), groupArray(mode), groupArray(origin), groupArray(width)) FROM grid) AS plan
SELECT * FROM (
${pointsBranch(table, f, look(2, 'toUInt8(0)'), look(3, 'toUInt64(0)'), look(4, 'toUInt64(1)'), ' AND (run_id, metric_name) IN (SELECT run_id, metric_name FROM grid WHERE mode < 2)')}
UNION ALL
SELECT toString(run_id) AS rid, metric_name AS metric, toUInt8(2) AS mode, ${look(3, 'toUInt64(0)')} AS origin,
  ${look(4, 'toUInt64(1)')} AS bucket_width, toUInt64(origin + intDiv(u.first_step - origin, bucket_width) * bucket_width) AS bucket_start,
  0 AS tkey, max(u.last_step) AS last_step, toUnixTimestamp64Milli(argMax(u.ts, u.last_step)) AS ts,
  argMax(u.value, u.last_step) AS value, min(u.lo_value) AS lo_value, max(u.hi_value) AS hi_value, sum(u.n) AS n
FROM units AS u WHERE ${look(2, 'toUInt8(0)')} = 2
GROUP BY run_id, metric_name, origin, bucket_width, bucket_start${loggedBranch(table, f)}
)
${ORDER}`;
  return { query, params };
}

/** A row of the answer (UInt64 and Int64 arrive as strings in JSON formats). */
export interface SeriesAnswerRow {
  rid: string;
  metric: string;
  mode: number;
  bucket_width: string | number;
  bucket_start: string | number;
  last_step: string | number;
  ts: string | number;
  value: number;
  lo_value: number;
  hi_value: number;
  n: string | number;
}

/** Rows (in query order) to one SeriesRow per (run, metric) logged. */
export function seriesRows(rows: readonly SeriesAnswerRow[]): SeriesRow[] {
  const out = new Map<string, SeriesRow>();
  for (const r of rows) {
    const key = `${r.rid}\u0000${r.metric}`;
    let series = out.get(key);
    if (!series) {
      series = { runId: r.rid, name: r.metric, logged: true, exact: true, bucketWidth: null, points: [] };
      out.set(key, series);
    }
    const n = Number(r.n);
    if (n === 0) continue; // only "logged"
    series.exact = Number(r.mode) === 0;
    series.bucketWidth = series.exact ? null : Number(r.bucket_width);
    series.points.push({
      step: Number(r.last_step),
      timestampMs: Number(r.ts),
      value: r.value,
      min: r.lo_value,
      max: r.hi_value,
      count: n,
      bucketStart: Number(r.bucket_start),
    });
  }
  return [...out.values()];
}
