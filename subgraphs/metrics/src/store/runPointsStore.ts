/**
 * Whole runs' points in experiment_metrics, as the registry's saga
 * orchestrator and reconciler see them: counted, deleted (an experiment's or
 * some runs'), and listed run by run.
 *
 * Deleting is `ALTER TABLE ... DELETE` with `mutations_sync = 2`, not a
 * lightweight `DELETE FROM`: it keeps the step_blocks projection exact (why,
 * measured: docs/design/measured-choices.md, Deleting points).
 *
 * Synchronous: `mutations_sync = 2` makes the ALTER return once every replica
 * has rewritten its parts (on a single node, once this one has), so when
 * delete() resolves a query no longer sees the points. On a cluster the ALTER
 * runs ON CLUSTER, like the migrations' DDL, to reach every shard's replicas.
 * A delete that times out or finds a replica inactive fails (the caller
 * retries), but its mutation stays queued and still runs; a retry queues one
 * more, which then matches nothing. Parameters are substituted before the
 * mutation is stored, so replicas receive the literal ids.
 *
 * Filters: run ids use the sorting key (run_id leads it); the experiment id is
 * not in the sorting key (migration 1 explains why run_id leads), so an
 * experiment's parts and granules are found by the idx_experiment_id bloom
 * filter.
 */
import type { ClickHouseClient } from './clickhouseClient';
import { type MigrationOptions, metricsStorage, onCluster, qualified } from './ddl';

/** Whose points: every run of an experiment, or the listed runs. */
export type PointsScope = { experimentId: string } | { runIds: readonly string[] };

export interface RunPoints {
  runId: string;
  experimentId: string;
  points: number;
  /** The latest point's timestamp, epoch milliseconds. */
  lastTimestampMs: number;
}

/**
 * The mutation deleting a scope's points: on the table that stores them (each
 * shard's local table under the sharded layout: a Distributed table cannot be
 * altered), ON CLUSTER on a cluster, synchronous on every replica.
 */
export function deletePointsStatement(
  options: MigrationOptions,
  scope: PointsScope,
): { sql: string; params: Record<string, unknown> } {
  const { sql, params } = scopeFilter(scope);
  return {
    sql: `ALTER TABLE ${metricsStorage(options)}${onCluster(options)} DELETE WHERE ${sql} SETTINGS mutations_sync = 2`,
    params,
  };
}

/** The WHERE clause of a scope, with its parameters. */
function scopeFilter(scope: PointsScope): { sql: string; params: Record<string, unknown> } {
  if ('experimentId' in scope) {
    return { sql: 'experiment_id = {experimentId:UUID}', params: { experimentId: scope.experimentId } };
  }
  return { sql: 'run_id IN {runIds:Array(UUID)}', params: { runIds: scope.runIds } };
}

export class RunPointsStore {
  constructor(
    private readonly client: ClickHouseClient,
    private readonly options: MigrationOptions,
  ) {}

  private get table(): string {
    return qualified(this.options, 'experiment_metrics');
  }

  /** Points of the scope now. */
  async count(scope: PointsScope): Promise<number> {
    const { sql, params } = scopeFilter(scope);
    const result = await this.client.query({
      query: `SELECT count() AS n FROM ${this.table} WHERE ${sql}`,
      query_params: params,
      format: 'JSONEachRow',
    });
    const [row] = await result.json<{ n: string | number }>();
    return Number(row?.n ?? 0);
  }

  /**
   * Deletes every point of the scope and returns how many there were just
   * before (0 when already gone: deleting again is harmless). Resolves only
   * once no query sees them any more.
   */
  async delete(scope: PointsScope): Promise<number> {
    const points = await this.count(scope);
    const { sql, params } = deletePointsStatement(this.options, scope);
    await this.client.command({ query: sql, query_params: params });
    return points;
  }

  /**
   * Up to `limit` runs having points, by run id as text (the order of
   * PostgreSQL's uuid and of JavaScript strings; ClickHouse orders the UUID
   * type by its second half first), after `after` when given. Every page
   * groups the whole table (experiment_id and max(timestamp) are not in
   * step_blocks): 0.1 to 0.25 s a page over 11M points of 2,000 runs on chdb.
   */
  async runs(after: string | undefined, limit: number): Promise<RunPoints[]> {
    const params: Record<string, unknown> = { limit };
    let having = '';
    if (after !== undefined) {
      having = 'HAVING rid > {after:String}';
      params.after = after.toLowerCase();
    }
    const result = await this.client.query({
      query: `SELECT toString(run_id) AS rid, toString(any(experiment_id)) AS eid, count() AS n,
  toUnixTimestamp64Milli(max(timestamp)) AS last_ts
FROM ${this.table}
GROUP BY run_id ${having}
ORDER BY rid
LIMIT {limit:UInt32}`,
      query_params: params,
      format: 'JSONEachRow',
    });
    const rows = await result.json<{ rid: string; eid: string; n: string; last_ts: string }>();
    return rows.map((r) => ({ runId: r.rid, experimentId: r.eid, points: Number(r.n), lastTimestampMs: Number(r.last_ts) }));
  }
}
