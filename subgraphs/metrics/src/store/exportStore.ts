/**
 * Metrics as files: one run's series of one metric written by ClickHouse
 * itself (`FORMAT CSVWithNames`, `FORMAT Parquet`) and read through the
 * client's raw stream API (exec), and the summaries of many runs' metrics
 * for the registry's runs CSV.
 *
 * A CSV series is read in pages of whole steps (`ORDER BY step, timestamp
 * LIMIT n WITH TIES`, the next page after the last step): the sorting key
 * (run_id, metric_name, step, timestamp) makes each page a range read, and
 * neither the engine (chdb materialises one query's answer) nor this process
 * holds more than a page. A Parquet file is one query: its row groups and
 * footer are one file, streamed as the client hands it over.
 */
import type { Readable } from 'node:stream';
import type { MetricSummariesResult } from '@lab/shared';
import { SUMMARY_AGGREGATES } from './summaryAggregates';
import { TableStore } from './tableStore';

/** Points per CSV page (a page is at most this many points plus the rest of its last step). */
export const CSV_PAGE_POINTS = 250_000;

export interface SeriesRange {
  fromStep?: number;
  toStep?: number;
}

/** The columns of an exported series, in order. */
const COLUMNS = `step, concat(replaceOne(toString(timestamp), ' ', 'T'), 'Z') AS timestamp, metric_value AS value`;
const PARQUET_COLUMNS = 'step, timestamp, metric_value AS value';

export class ExportStore extends TableStore {
  protected readonly tableName = 'experiment_metrics';
  /** Called before every query (tests count them). */
  onQuery: ((sql: string) => void) | undefined;

  private where(range: SeriesRange): string {
    const parts = ['run_id = {runId:UUID}', 'metric_name = {name:String}'];
    if (range.fromStep !== undefined) parts.push('step >= {fromStep:UInt64}');
    if (range.toStep !== undefined) parts.push('step <= {toStep:UInt64}');
    return parts.join(' AND ');
  }

  private params(runId: string, name: string, range: SeriesRange): Record<string, unknown> {
    return { runId, name, ...range };
  }

  private async raw(query: string, params: Record<string, unknown>): Promise<Readable> {
    this.onQuery?.(query);
    const { stream } = await this.client.exec({ query, query_params: params });
    return stream;
  }

  /** Whether the run ever logged the metric (read from the step_blocks projection's keys). */
  async hasMetric(runId: string, name: string): Promise<boolean> {
    const query = `SELECT count() > 0 AS found FROM (SELECT 1 FROM ${this.table}
WHERE run_id = {runId:UUID} AND metric_name = {name:String} LIMIT 1)`;
    this.onQuery?.(query);
    const result = await this.client.query({ query, query_params: { runId, name }, format: 'JSONEachRow' });
    const [row] = await result.json<{ found: number | boolean }>();
    return Boolean(Number(row?.found ?? 0));
  }

  /** The series as CSV with a header line (step, timestamp, value), page after page, in step order. */
  async *seriesCsv(runId: string, name: string, range: SeriesRange, pagePoints = CSV_PAGE_POINTS): AsyncGenerator<Buffer> {
    let after: string | undefined;
    let first = true;
    for (;;) {
      const where = this.where(range) + (after === undefined ? '' : ' AND step > {after:UInt64}');
      // The page's last step comes back as the last line's first field; the page has whole steps (WITH TIES).
      const query = `SELECT ${COLUMNS} FROM ${this.table} WHERE ${where}
ORDER BY step, timestamp LIMIT ${pagePoints} WITH TIES FORMAT ${first ? 'CSVWithNames' : 'CSV'}`;
      const params = { ...this.params(runId, name, range), ...(after === undefined ? {} : { after }) };
      let lines = 0;
      let tail = '';
      for await (const chunk of await this.raw(query, params)) {
        const buffer = chunk as Buffer;
        for (let i = buffer.indexOf(10); i !== -1; i = buffer.indexOf(10, i + 1)) lines++;
        tail = (tail + buffer.toString('utf8', Math.max(0, buffer.length - 200))).slice(-200);
        yield buffer;
      }
      const points = lines - (first ? 1 : 0);
      first = false;
      if (points < pagePoints) return;
      const last = tail.trimEnd().split('\n').at(-1) ?? '';
      after = last.slice(0, last.indexOf(','));
    }
  }

  /** The series as one Parquet file (step UInt64, timestamp DateTime64(3, UTC), value Float64), in step order. */
  seriesParquet(runId: string, name: string, range: SeriesRange): Promise<Readable> {
    const query = `SELECT ${PARQUET_COLUMNS} FROM ${this.table} WHERE ${this.where(range)}
ORDER BY step, timestamp FORMAT Parquet`;
    return this.raw(query, this.params(runId, name, range));
  }

  /** Last (at the largest step), min and max of each named metric of each run, in one query. */
  async summaries(runIds: readonly string[], names: readonly string[]): Promise<MetricSummariesResult['summaries']> {
    if (runIds.length === 0 || names.length === 0) return [];
    const query = `SELECT toString(run_id) AS rid, toString(metric_name) AS name,
  ${SUMMARY_AGGREGATES.last} AS last_value, ${SUMMARY_AGGREGATES.min} AS lo_value, ${SUMMARY_AGGREGATES.max} AS hi_value
FROM ${this.table}
WHERE run_id IN {runIds:Array(UUID)} AND metric_name IN {names:Array(String)}
GROUP BY run_id, metric_name`;
    this.onQuery?.(query);
    const result = await this.client.query({
      query,
      query_params: { runIds, names },
      format: 'JSONEachRow',
      use_multipart_params_auto: true,
    });
    const rows = await result.json<{ rid: string; name: string; last_value: number; lo_value: number; hi_value: number }>();
    return rows.map((r) => ({ runId: r.rid, name: r.name, last: r.last_value, min: r.lo_value, max: r.hi_value }));
  }
}
