/**
 * Helpers that make one migration's SQL fit a single node or a cluster:
 * `ON CLUSTER` on every DDL statement and Replicated* engines in cluster mode.
 * Plain ClickHouse SQL only: it runs on chdb and on a ClickHouse server alike.
 */

export interface MigrationOptions {
  /** Database holding the tables (config.clickhouse.database). */
  database: string;
  /** Cluster name (config.clickhouse.cluster): DDL runs ON CLUSTER with Replicated engines. */
  cluster?: string | undefined;
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
