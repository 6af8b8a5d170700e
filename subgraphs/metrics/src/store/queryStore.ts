/**
 * Reading metrics: per-run summaries, downsampled series and experiment
 * aggregates. Every method answers MANY runs (or experiments) in ONE query —
 * callers batch through DataLoaders (query/loaders.ts). Values only ever
 * travel as query_params ({name:Type} placeholders), never in the SQL text.
 *
 * Series (seriesQuery.ts holds their SQL and the grid rule): a series with at
 * most maxPoints points in its range comes back whole (exact); a longer one is
 * cut into at most maxPoints buckets of equal width over step, whole blocks of
 * the step_blocks projection once a bucket spans 256 steps or more, so
 * ClickHouse regroups the projection's per-block aggregates (n / 256 rows)
 * instead of reading every point, and a step range reads only its blocks. A
 * bucket reports its last point (largest step) as the drawn value, and min,
 * max and count over all its points, so spikes survive in min/max
 * (measured: docs/design/measured-choices.md, Series from the step_blocks projection).
 *
 * "Last" is argMax(value, step): among points logged twice at the same step
 * any one may win (why not (step, timestamp): docs/design/measured-choices.md).
 *
 * Numbers: UInt64/Int64 come back from JSON formats as strings; steps and
 * counts are converted with Number (exact up to 2^53, the ingest limit for steps).
 */

import { type GridScope, type SeriesAnswerRow, seriesQuery, seriesRows } from './seriesQuery';
import { SUMMARY_AGGREGATES } from './summaryAggregates';
import { TableStore } from './tableStore';
import type { ExperimentSummaryRow, MetricSummaryRow, QueryEvent, SeriesParams, SeriesRow, SeriesWindow } from './types';

const num = (v: string | number) => Number(v);

export class QueryStore extends TableStore {
  protected readonly tableName = 'experiment_metrics';
  /** Called before every query (tests count them; could feed metrics). */
  onQuery: ((event: QueryEvent) => void) | undefined;

  private async rows<T>(kind: QueryEvent['kind'], query: string, params: Record<string, unknown>): Promise<T[]> {
    this.onQuery?.({ kind, query, params });
    const result = await this.client.query({ query, query_params: params, format: 'JSONEachRow' });
    return result.json<T>();
  }

  /** One summary per (run, metric name) for all the runs, in one query; ordered by run, name. */
  async summaries(runIds: readonly string[]): Promise<MetricSummaryRow[]> {
    if (runIds.length === 0) return [];
    const query = `SELECT toString(run_id) AS rid, metric_name,
  ${SUMMARY_AGGREGATES.last} AS last_value, ${SUMMARY_AGGREGATES.min} AS lo_value, ${SUMMARY_AGGREGATES.max} AS hi_value,
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
   * The series of one metric for all the runs, in one query, each on its own
   * grid (seriesQuery.ts). Runs that never logged the metric are absent; runs
   * that did but have no points in the window answer an empty series.
   */
  async series(runIds: readonly string[], p: SeriesParams): Promise<SeriesRow[]> {
    if (runIds.length === 0) return [];
    const { name, ...window } = p;
    return this.seriesOf('series', runIds, [name], window, 'run');
  }

  /**
   * Several metrics of several runs in one query, on one step grid per metric
   * shared by the runs (compareRuns): every run's buckets of a metric have the
   * same boundaries. Pairs never logged are absent.
   */
  async compare(runIds: readonly string[], names: readonly string[], window: SeriesWindow): Promise<SeriesRow[]> {
    if (runIds.length === 0 || names.length === 0) return [];
    return this.seriesOf('series', runIds, names, window, 'metric');
  }

  private async seriesOf(
    kind: QueryEvent['kind'],
    runIds: readonly string[],
    names: readonly string[],
    window: SeriesWindow,
    scope: GridScope,
  ): Promise<SeriesRow[]> {
    const { query, params } = seriesQuery(this.table, runIds, names, window, scope);
    return seriesRows(await this.rows<SeriesAnswerRow>(kind, query, params));
  }

  /** The metric names each run logged, sorted, in one query (from the step_blocks projection). */
  async metricNames(runIds: readonly string[]): Promise<{ runId: string; names: string[] }[]> {
    if (runIds.length === 0) return [];
    const query = `SELECT toString(run_id) AS id, arraySort(groupArray(toString(metric_name))) AS names
FROM (SELECT run_id, metric_name FROM ${this.table} WHERE run_id IN {runIds:Array(UUID)} GROUP BY run_id, metric_name)
GROUP BY run_id`;
    const rows = await this.rows<{ id: string; names: string[] }>('metricNames', query, { runIds });
    return rows.map((r) => ({ runId: r.id, names: r.names }));
  }

  /**
   * The metric names logged in each experiment (by any of its runs), sorted,
   * in one query. The inner GROUP BY (experiment_id, metric_name) is answered
   * from the experiment_names projection (migration 7): a few rows per part
   * and name, not the experiments' points.
   */
  async experimentMetricNames(experimentIds: readonly string[]): Promise<{ experimentId: string; names: string[] }[]> {
    if (experimentIds.length === 0) return [];
    const query = `SELECT toString(experiment_id) AS id, arraySort(groupArray(toString(metric_name))) AS names
FROM (SELECT experiment_id, metric_name FROM ${this.table} WHERE experiment_id IN {experimentIds:Array(UUID)} GROUP BY experiment_id, metric_name)
GROUP BY experiment_id`;
    const rows = await this.rows<{ id: string; names: string[] }>('experimentMetricNames', query, { experimentIds });
    return rows.map((r) => ({ experimentId: r.id, names: r.names }));
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
