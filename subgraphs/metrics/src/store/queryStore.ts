/**
 * Reading metrics: per-run summaries, downsampled series and experiment
 * aggregates. Every method answers MANY runs (or experiments) in ONE query —
 * callers batch through DataLoaders (query/loaders.ts). Values only ever
 * travel as query_params ({name:Type} placeholders), never in the SQL text.
 *
 * Downsampling happens in ClickHouse: a series with at most maxPoints points
 * comes back whole (exact); a longer one is cut into at most maxPoints buckets
 * of equal width over step. With lo and hi its first and last step and
 * narrow = ceil((hi - lo + 1) / maxPoints): under STEP_BLOCK (256), buckets are
 * `narrow` steps wide from lo; from there on they are whole blocks of the
 * step_blocks projection: origin = lo rounded down to a multiple of 256, width
 * = ceil((hi - origin + 1) / maxPoints) rounded up to a multiple of 256, so
 * ClickHouse regroups the projection's per-block aggregates (n / 256 rows)
 * instead of reading every point. bucket = intDiv(step - origin, width). A
 * bucket reports its last point (largest step) as the drawn value, and min,
 * max and count over all its points, so spikes survive in min/max. Measured
 * (bench metrics-series, chdb, 2 cores): a 1,000-point series over 10M
 * points in about the time of the raw min/max query or less, where reading
 * every row took 4-5 times as long.
 *
 * "Last" is argMax(value, step): among points logged twice at the same step
 * any one may win. Ordering by (step, timestamp) instead was measured 3-4x
 * slower on chdb (tuple comparison): ~410 ms vs ~150 ms for a 1,000-bucket
 * series over 1M points, ~400 ms vs ~110 ms for summaries.
 *
 * Numbers: UInt64/Int64 come back from JSON formats as strings; steps and
 * counts are converted with Number (exact up to 2^53, the ingest limit for steps).
 */
import type { ClickHouseClient } from '@lab/shared';
import { qualified } from './ddl';
import { STEP_BLOCK } from './migrations';

const B = STEP_BLOCK;

export interface MetricSummaryRow {
  runId: string;
  name: string;
  last: number;
  min: number;
  max: number;
  count: number;
  lastStep: number;
  /** Epoch milliseconds. */
  lastTimestampMs: number;
}

export interface SeriesPointRow {
  step: number;
  timestampMs: number;
  value: number;
  min: number;
  max: number;
  count: number;
}

export interface SeriesRow {
  runId: string;
  name: string;
  exact: boolean;
  points: SeriesPointRow[];
}

export interface SeriesParams {
  name: string;
  maxPoints: number;
  /** Epoch milliseconds, inclusive. */
  fromMs?: number | undefined;
  /** Epoch milliseconds, exclusive. */
  toMs?: number | undefined;
}

export interface ExperimentSummaryRow {
  experimentId: string;
  name: string;
  runs: number;
  min: number;
  max: number;
  mean: number;
  minRunId: string;
  maxRunId: string;
}

/** What the onQuery hook is told: which kind of read, its SQL and its parameters. */
export interface QueryEvent {
  kind: 'summaries' | 'series' | 'experimentSummaries';
  query: string;
  params: Record<string, unknown>;
}

const num = (v: string | number) => Number(v);

export class QueryStore {
  /** Called before every query (tests count them; could feed metrics). */
  onQuery: ((event: QueryEvent) => void) | undefined;

  constructor(
    private readonly client: ClickHouseClient,
    private readonly database: string,
  ) {}

  private get table(): string {
    return qualified({ database: this.database }, 'experiment_metrics');
  }

  private async rows<T>(kind: QueryEvent['kind'], query: string, params: Record<string, unknown>): Promise<T[]> {
    this.onQuery?.({ kind, query, params });
    const result = await this.client.query({ query, query_params: params, format: 'JSONEachRow' });
    return result.json<T>();
  }

  /** One summary per (run, metric name) for all the runs, in one query; ordered by run, name. */
  async summaries(runIds: readonly string[]): Promise<MetricSummaryRow[]> {
    if (runIds.length === 0) return [];
    const query = `SELECT toString(run_id) AS rid, metric_name,
  argMax(metric_value, step) AS last_value, min(metric_value) AS lo_value, max(metric_value) AS hi_value,
  count() AS n, max(step) AS last_step, toUnixTimestamp64Milli(argMax(timestamp, step)) AS last_ts
FROM ${this.table}
WHERE run_id IN {runIds:Array(UUID)}
GROUP BY run_id, metric_name
ORDER BY run_id, metric_name`;
    type Row = {
      rid: string;
      metric_name: string;
      last_value: number;
      lo_value: number;
      hi_value: number;
      n: string;
      last_step: string;
      last_ts: string;
    };
    const rows = await this.rows<Row>('summaries', query, { runIds });
    return rows.map((r) => ({
      runId: r.rid,
      name: r.metric_name,
      last: r.last_value,
      min: r.lo_value,
      max: r.hi_value,
      count: num(r.n),
      lastStep: num(r.last_step),
      lastTimestampMs: num(r.last_ts),
    }));
  }

  /**
   * The series of one metric for all the runs, in one query. Runs with no
   * points (in the window) are absent from the answer.
   */
  async series(runIds: readonly string[], p: SeriesParams): Promise<SeriesRow[]> {
    if (runIds.length === 0) return [];
    const params: Record<string, unknown> = { runIds, name: p.name, maxPoints: p.maxPoints };
    let window = '';
    if (p.fromMs !== undefined) {
      window += ` AND timestamp >= fromUnixTimestamp64Milli({fromMs:Int64}, 'UTC')`;
      params.fromMs = p.fromMs;
    }
    if (p.toMs !== undefined) {
      window += ` AND timestamp < fromUnixTimestamp64Milli({toMs:Int64}, 'UTC')`;
      params.toMs = p.toMs;
    }
    const where = `run_id IN {runIds:Array(UUID)} AND metric_name = {name:String}${window}`;
    const m = (sql: string) => sql.replace(/\b(run_id|metric_name|timestamp)\b/g, 'm.$1');
    // Per run: exact (n <= maxPoints: one group per point), or buckets of
    // `width` steps from `origin`. Narrow buckets (under STEP_BLOCK steps)
    // start at the first step; wider ones are whole blocks of the step_blocks
    // projection (origin and width multiples of STEP_BLOCK), so the second
    // branch regroups at most n / STEP_BLOCK block rows instead of n rows.
    const query = `WITH stats AS (
  SELECT run_id, count() <= {maxPoints:UInt32} AS exact, min(step) AS lo, max(step) AS hi
  FROM ${this.table} WHERE ${where} GROUP BY run_id
), grid AS (
  SELECT run_id, exact, intDiv(hi - lo + {maxPoints:UInt32}, {maxPoints:UInt32}) AS narrow,
    narrow >= ${B} AS blocked, if(blocked, lo - lo % ${B}, lo) AS origin,
    if(blocked, ${B} * intDiv(intDiv(hi - origin + {maxPoints:UInt32}, {maxPoints:UInt32}) + ${B - 1}, ${B}), narrow) AS width
  FROM stats
)
SELECT * FROM (
SELECT toString(m.run_id) AS rid, g.exact AS exact,
  if(g.exact, m.step - g.origin, intDiv(m.step - g.origin, g.width)) AS bucket,
  if(g.exact, toUnixTimestamp64Milli(m.timestamp), 0) AS tkey,
  max(m.step) AS last_step, toUnixTimestamp64Milli(argMax(m.timestamp, m.step)) AS ts,
  argMax(m.metric_value, m.step) AS value,
  min(m.metric_value) AS lo_value, max(m.metric_value) AS hi_value, count() AS n
FROM ${this.table} AS m INNER JOIN (SELECT * FROM grid WHERE exact OR NOT blocked) AS g ON m.run_id = g.run_id
WHERE ${m(where)} AND m.run_id IN (SELECT run_id FROM grid WHERE exact OR NOT blocked)
GROUP BY m.run_id, g.exact, bucket, tkey
UNION ALL
SELECT toString(b.run_id) AS rid, false AS exact, intDiv(b.block * ${B} - g.origin, g.width) AS bucket, 0 AS tkey,
  max(b.last_step) AS last_step, toUnixTimestamp64Milli(argMax(b.ts, b.last_step)) AS ts,
  argMax(b.value, b.last_step) AS value, min(b.lo_value) AS lo_value, max(b.hi_value) AS hi_value, sum(b.n) AS n
FROM (
  SELECT run_id, intDiv(step, ${B}) AS block, max(step) AS last_step, count() AS n,
    min(metric_value) AS lo_value, max(metric_value) AS hi_value,
    argMax(metric_value, step) AS value, argMax(timestamp, step) AS ts
  FROM ${this.table} WHERE ${where}
  GROUP BY run_id, metric_name, intDiv(step, ${B})
) AS b INNER JOIN (SELECT * FROM grid WHERE NOT exact AND blocked) AS g ON b.run_id = g.run_id
GROUP BY b.run_id, bucket
)
ORDER BY rid, bucket, tkey`;
    type Row = {
      rid: string;
      exact: number | boolean;
      last_step: string;
      ts: string;
      value: number;
      lo_value: number;
      hi_value: number;
      n: string;
    };
    const rows = await this.rows<Row>('series', query, params);
    const byRun = new Map<string, SeriesRow>();
    for (const r of rows) {
      let series = byRun.get(r.rid);
      if (!series) {
        series = { runId: r.rid, name: p.name, exact: Boolean(r.exact), points: [] };
        byRun.set(r.rid, series);
      }
      series.points.push({
        step: num(r.last_step),
        timestampMs: num(r.ts),
        value: r.value,
        min: r.lo_value,
        max: r.hi_value,
        count: num(r.n),
      });
    }
    return [...byRun.values()];
  }

  /**
   * Per experiment, over its runs' last values of one metric: how many runs,
   * min, max, mean, and which run holds the min and the max. Experiments
   * without the metric are absent. Note: the sorting key starts with run_id,
   * so this scans the metric's rows of every run (fine for occasional use;
   * rollups would make it cheap).
   */
  async experimentSummaries(experimentIds: readonly string[], name: string): Promise<ExperimentSummaryRow[]> {
    if (experimentIds.length === 0) return [];
    const query = `SELECT toString(experiment_id) AS eid, count() AS runs, min(last) AS lo_value, max(last) AS hi_value,
  avg(last) AS mean, toString(argMin(run_id, last)) AS min_run, toString(argMax(run_id, last)) AS max_run
FROM (
  SELECT experiment_id, run_id, argMax(metric_value, step) AS last
  FROM ${this.table}
  WHERE experiment_id IN {experimentIds:Array(UUID)} AND metric_name = {name:String}
  GROUP BY experiment_id, run_id
)
GROUP BY experiment_id`;
    type Row = {
      eid: string;
      runs: string;
      lo_value: number;
      hi_value: number;
      mean: number;
      min_run: string;
      max_run: string;
    };
    const rows = await this.rows<Row>('experimentSummaries', query, { experimentIds, name });
    return rows.map((r) => ({
      experimentId: r.eid,
      name,
      runs: num(r.runs),
      min: r.lo_value,
      max: r.hi_value,
      mean: r.mean,
      minRunId: r.min_run,
      maxRunId: r.max_run,
    }));
  }
}
