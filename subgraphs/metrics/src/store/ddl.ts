/**
 * Helpers that make one migration's SQL fit a single node or a cluster:
 * `ON CLUSTER` on every DDL statement and Replicated* engines in cluster mode.
 * Plain ClickHouse SQL only: it runs on chdb and on a ClickHouse server alike.
 *
 * Three layouts (docs/operations/scale-out.md):
 *  - single node: MergeTree tables;
 *  - cluster (CLICKHOUSE_CLUSTER): the same tables, Replicated, ON CLUSTER;
 *    each shard holds what is inserted into it (one shard × N replicas);
 *  - sharded (CLICKHOUSE_SHARDED too): metric points live in
 *    `experiment_metrics_local` on every shard, and `experiment_metrics` is a
 *    Distributed table over them, sharded by cityHash64(run_id), so a run's
 *    series and its projections stay on one shard. Storage statements (ALTER
 *    of settings, projections, TTL, DELETE) go to the local table ON CLUSTER;
 *    reads and inserts go to the Distributed table.
 */

export interface MigrationOptions {
  /** Database holding the tables (config.clickhouse.database). */
  database: string;
  /** Cluster name (config.clickhouse.cluster): DDL runs ON CLUSTER with Replicated engines. */
  cluster?: string | undefined;
  /** With a cluster: experiment_metrics is Distributed over experiment_metrics_local (config.clickhouse.sharded). */
  sharded?: boolean | undefined;
}

/** The table metric points are read from and inserted into. */
export const METRICS_TABLE = 'experiment_metrics';
/** Each shard's table of points under the sharded layout. */
export const METRICS_LOCAL_TABLE = 'experiment_metrics_local';
/** How the Distributed table spreads points: whole runs per shard. */
export const METRICS_SHARDING_KEY = 'cityHash64(run_id)';

/** Whether points are sharded (a cluster and the sharded layout). */
export function isSharded(options: MigrationOptions): boolean {
  return Boolean(options.cluster && options.sharded);
}

/** The table that stores metric points (ALTER, DELETE, TTL, projections): experiment_metrics, or the local one when sharded. */
export function metricsStorage(options: MigrationOptions): string {
  return qualified(options, isSharded(options) ? METRICS_LOCAL_TABLE : METRICS_TABLE);
}

/** Quotes an identifier with backticks. */
export function ident(name: string): string {
  return `\`${name.replace(/\\/g, '\\\\').replace(/`/g, '\\`')}\``;
}

/** `db`.`table` */
export function qualified(options: MigrationOptions, table: string): string {
  return `${ident(options.database)}.${ident(table)}`;
}

/** ` ON CLUSTER `name`` in cluster mode, nothing on a single node. */
export function onCluster(options: MigrationOptions): string {
  return options.cluster ? ` ON CLUSTER ${ident(options.cluster)}` : '';
}

export type EngineFamily = 'MergeTree' | 'ReplacingMergeTree';

/**
 * Where a replicated table's replicas meet in (Zoo)Keeper. `{shard}` and
 * `{replica}` are the servers' macros; `{database}` and `{table}` are expanded
 * by ClickHouse itself at CREATE time.
 *  - `shard`: one replica set per shard (data tables).
 *  - `cluster`: one replica set spanning every node, so any node can answer
 *    (the schema_migrations bookkeeping).
 */
export const REPLICATION_PATHS = {
  shard: '/clickhouse/tables/{shard}/{database}/{table}',
  cluster: '/clickhouse/tables/all/{database}/{table}',
} as const;

/** `MergeTree` / `ReplacingMergeTree(ver)` on one node, `Replicated…('path', '{replica}'[, ver])` on a cluster. */
export function engine(
  options: MigrationOptions,
  family: EngineFamily,
  args: string[] = [],
  scope: keyof typeof REPLICATION_PATHS = 'shard',
): string {
  if (!options.cluster) return args.length > 0 ? `${family}(${args.join(', ')})` : family;
  const replication = [`'${REPLICATION_PATHS[scope]}'`, `'{replica}'`, ...args];
  return `Replicated${family}(${replication.join(', ')})`;
}

/** Under the sharded layout: experiment_metrics as a Distributed table over every shard's experiment_metrics_local. */
export function distributedMetricsTable(options: MigrationOptions): string {
  const cluster = ident(options.cluster as string);
  return `CREATE TABLE IF NOT EXISTS ${qualified(options, METRICS_TABLE)}${onCluster(options)} AS ${qualified(options, METRICS_LOCAL_TABLE)}
ENGINE = Distributed(${cluster}, ${ident(options.database)}, ${ident(METRICS_LOCAL_TABLE)}, ${METRICS_SHARDING_KEY})`;
}
