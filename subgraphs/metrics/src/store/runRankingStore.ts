/**
 * Runs filtered and ordered by their metrics, for the registry's run lists
 * (METRICS_INTERNAL.rank): the candidates the registry sends, their metric
 * summaries, the condition, the order and a page per group, in one query
 * (rankQuery.ts holds the SQL). One list ordered by a metric with no
 * condition takes a shorter way (metricOrderQuery.ts): one query, and a
 * second only for a page that reaches the runs without the metric.
 */
import type { RankRunsRequest, RankRunsResult } from '@lab/shared/internal';
import { isMetricOrderOnly, summaryPageQuery, tailQuery } from './metricOrderQuery';
import { bitsToFloat64, rankQuery } from './rankQuery';
import { TableStore } from './tableStore';

/** What the onQuery hook is told: the SQL and its parameters. */
export interface RankQueryEvent {
  kind: 'rank';
  query: string;
  params: Record<string, unknown>;
}

export class RunRankingStore extends TableStore {
  protected readonly tableName = 'experiment_metrics';
  /** Called before every query (tests count them). */
  onQuery: ((event: RankQueryEvent) => void) | undefined;

  private async rows<T>(query: string, params: Record<string, unknown>): Promise<T[]> {
    this.onQuery?.({ kind: 'rank', query, params });
    const result = await this.client.query({
      query,
      query_params: params,
      format: 'JSONEachRow',
      // Thousands of run ids: in the request body, not the URL, on a ClickHouse server.
      use_multipart_params_auto: true,
    });
    return result.json<T>();
  }

  /** The page of each group (runs after the cursor, in order) and its total; groups without a match answer 0 and none. */
  async rank(request: RankRunsRequest): Promise<RankRunsResult> {
    if (isMetricOrderOnly(request)) return this.rankByMetric(request);
    const { query, params } = rankQuery(this.table, request);
    const rows = await this.rows<{ rid: string; grp: number; v_bits: string | null; total: string; after: number }>(
      query,
      params,
    );
    const groupCount = (request.groups ?? [0]).reduce((a, b) => Math.max(a, b), 0) + 1;
    const groups: RankRunsResult['groups'] = Array.from({ length: groupCount }, () => ({ total: 0, runs: [] }));
    if (!request.condition) {
      for (const g of request.groups ?? request.runIds.map(() => 0)) (groups[g] as RankRunsResult['groups'][number]).total += 1;
    }
    for (const row of rows) {
      const group = groups[Number(row.grp)];
      if (!group) continue;
      if (request.condition) group.total = Number(row.total);
      if (Number(row.after)) group.runs.push({ runId: row.rid, value: row.v_bits === null ? null : bitsToFloat64(row.v_bits) });
    }
    return { groups };
  }

  /** One list by a metric, no condition (metricOrderQuery.ts): its summaries, then the runs without it if the page reaches them. */
  private async rankByMetric(request: Parameters<typeof summaryPageQuery>[1]): Promise<RankRunsResult> {
    const runs: RankRunsResult['groups'][number]['runs'] = [];
    const page = summaryPageQuery(this.table, request);
    if (page) {
      for (const row of await this.rows<{ rid: string; v_bits: string }>(page.query, page.params)) {
        runs.push({ runId: row.rid, value: bitsToFloat64(row.v_bits) });
      }
    }
    if (runs.length < request.limit) {
      const tail = tailQuery(this.table, request, request.limit - runs.length);
      for (const row of await this.rows<{ rid: string }>(tail.query, tail.params)) runs.push({ runId: row.rid, value: null });
    }
    return { groups: [{ total: request.runIds.length, runs }] };
  }
}
