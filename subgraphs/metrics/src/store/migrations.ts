/**
 * The ClickHouse schema of the metrics subgraph, as versioned migrations.
 *
 * Rules: a migration, once released, is never edited (the runner compares
 * checksums and refuses a changed one): add a new one instead. Every statement
 * is idempotent (IF NOT EXISTS / IF EXISTS), so a migration interrupted half
 * way, or run by two processes at once, converges to the same schema.
 */
import {
  distributedMetricsTable,
  engine,
  ident,
  isSharded,
  type MigrationOptions,
  metricsStorage,
  onCluster,
  qualified,
} from './ddl';

export type { MigrationOptions };

export interface Migration {
  version: number;
  name: string;
  statements(options: MigrationOptions): string[];
}

/** The bookkeeping table the runner records applied migrations in. */
export const MIGRATIONS_TABLE = 'schema_migrations';

/** Run before any migration: the database and the bookkeeping table. */
export function bootstrapStatements(o: MigrationOptions): string[] {
  return [
    `CREATE DATABASE IF NOT EXISTS ${ident(o.database)}${onCluster(o)}`,
    // ReplacingMergeTree: two processes racing on a fresh database may both
    // record a version; the duplicate collapses (the runner reads with FINAL).
    // On a cluster it is replicated to every node, whatever its shard.
    `CREATE TABLE IF NOT EXISTS ${qualified(o, MIGRATIONS_TABLE)}${onCluster(o)} (
  version UInt32,
  name String,
  checksum String,
  applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
) ENGINE = ${engine(o, 'ReplacingMergeTree', [], 'cluster')}
ORDER BY version`,
  ];
}

const initial: Migration = {
  version: 1,
  name: 'metrics, api usage and audit log',
  statements: (o) => [
    // Sorting key: (run_id, metric_name, step, timestamp) rather than the
    // DESIGN's (experiment_id, metric_name, timestamp). Every read in the
    // contract is per run (Run.metrics, Run.metricSeries, compareRuns over a
    // few run ids), and a Run reaches this subgraph by its id alone, so run_id
    // leads and the primary index narrows a read to that run's granules; each
    // series is then contiguous and already in step order for charts. With
    // experiment_id first, one run's series would scan every run of its
    // experiment. Experiment-wide reads use the bloom_filter skip index.
    // ttl_only_drop_parts: expired data goes by whole parts (cheap), at most
    // one partition (a month) after its TTL.
    `CREATE TABLE IF NOT EXISTS ${metricsStorage(o)}${onCluster(o)} (
  timestamp DateTime64(3, 'UTC'),
  experiment_id UUID,
  run_id UUID,
  metric_name LowCardinality(String),
  step UInt64,
  metric_value Float64,
  tags Map(LowCardinality(String), String),
  INDEX idx_experiment_id experiment_id TYPE bloom_filter GRANULARITY 4
) ENGINE = ${engine(o, 'MergeTree')}
PARTITION BY toYYYYMM(timestamp)
ORDER BY (run_id, metric_name, step, timestamp)
TTL toDateTime(timestamp) + INTERVAL 1 YEAR
SETTINGS ttl_only_drop_parts = 1`,
    // Sharded layout: the table above is each shard's experiment_metrics_local;
    // experiment_metrics spreads runs over the shards (ddl.ts).
    ...(isSharded(o) ? [distributedMetricsTable(o)] : []),
    // One row per GraphQL operation through the gateway; kept 90 days.
    `CREATE TABLE IF NOT EXISTS ${qualified(o, 'api_usage')}${onCluster(o)} (
  timestamp DateTime64(3, 'UTC'),
  request_id String,
  caller_id String,
  operation_name LowCardinality(String),
  operation_type LowCardinality(String),
  duration_ms Float64,
  status LowCardinality(String),
  error_code LowCardinality(String) DEFAULT ''
) ENGINE = ${engine(o, 'MergeTree')}
PARTITION BY toYYYYMM(timestamp)
ORDER BY (caller_id, operation_name, timestamp)
TTL toDateTime(timestamp) + INTERVAL 90 DAY
SETTINGS ttl_only_drop_parts = 1`,
    // The audit trail of cross-store operations, kept without TTL. Events are
    // shipped at least once: rows with the same sorting key collapse, and
    // event_id ends the key, so a re-shipped event (same id, same timestamp,
    // hence same partition) is not counted twice once merged; read with FINAL
    // for exact answers before the merge.
    `CREATE TABLE IF NOT EXISTS ${qualified(o, 'audit_log')}${onCluster(o)} (
  timestamp DateTime64(3, 'UTC'),
  event_id UUID,
  request_id String,
  actor_id String,
  action LowCardinality(String),
  entity_type LowCardinality(String),
  entity_id String,
  change_digest String,
  payload String CODEC(ZSTD(3)),
  INDEX idx_actor_id actor_id TYPE bloom_filter GRANULARITY 4
) ENGINE = ${engine(o, 'ReplacingMergeTree')}
PARTITION BY toYYYYMM(timestamp)
ORDER BY (entity_type, entity_id, event_id)`,
  ],
};

const deduplication: Migration = {
  version: 2,
  name: 'insert deduplication window on experiment_metrics',
  statements: (o) => [
    // Retried metric inserts carry insert_deduplication_token; a single-node
    // MergeTree only honours it with a deduplication window (Replicated tables
    // dedupe by default and ignore this setting). Idempotent: re-setting it is a no-op.
    `ALTER TABLE ${metricsStorage(o)}${onCluster(o)} MODIFY SETTING non_replicated_deduplication_window = 10000`,
  ],
};

/**
 * Steps per block of the step_blocks projection (migration 3). Part of the
 * released schema: never change it (a new block size is a new projection).
 */
export const STEP_BLOCK = 256;

const stepBlocks: Migration = {
  version: 3,
  name: 'step_blocks projection on experiment_metrics',
  statements: (o) => [
    // Per (run, metric, block of STEP_BLOCK steps): every aggregate a series
    // bucket and a summary need. A projection lives inside each part, so it is
    // exactly as complete as the part's rows: inserted with them (deduplicated
    // with them), merged and dropped by TTL with them, replicated with them.
    // ClickHouse reads it instead of the rows when a query's GROUP BY and
    // aggregates match (series over long runs, Run.metrics); a part without it
    // (written before this migration, until MATERIALIZE reaches it) is read
    // from its rows, so answers stay exact either way. About 1/256 of the rows.
    `ALTER TABLE ${metricsStorage(o)}${onCluster(o)} ADD PROJECTION IF NOT EXISTS step_blocks (
  SELECT run_id, metric_name, intDiv(step, 256), min(step), max(step), count(),
    min(metric_value), max(metric_value), argMax(metric_value, step), argMax(timestamp, step)
  GROUP BY run_id, metric_name, intDiv(step, 256)
)`,
    // Builds it for parts written before (a background mutation; re-running it is harmless).
    `ALTER TABLE ${metricsStorage(o)}${onCluster(o)} MATERIALIZE PROJECTION step_blocks`,
  ],
};

const usageDeduplication: Migration = {
  version: 4,
  name: 'insert deduplication window on api_usage',
  statements: (o) => [
    // The gateway retries an api_usage batch whose answer it did not get, with
    // the same insert_deduplication_token (its batch id): with a window, a
    // single-node MergeTree stores it once, as Replicated tables already do.
    `ALTER TABLE ${qualified(o, 'api_usage')}${onCluster(o)} MODIFY SETTING non_replicated_deduplication_window = 1000`,
  ],
};

const auditTrail: Migration = {
  version: 5,
  name: 'audit_log: actor kind, project id, deduplication window',
  statements: (o) => [
    // The registry's audit events name the actor's kind and the entity's
    // project ('' when none): Query.auditLog filters by project for owners.
    `ALTER TABLE ${qualified(o, 'audit_log')}${onCluster(o)} ADD COLUMN IF NOT EXISTS actor_kind LowCardinality(String) DEFAULT '' AFTER actor_id`,
    `ALTER TABLE ${qualified(o, 'audit_log')}${onCluster(o)} ADD COLUMN IF NOT EXISTS project_id String DEFAULT '' AFTER entity_id`,
    `ALTER TABLE ${qualified(o, 'audit_log')}${onCluster(o)} ADD INDEX IF NOT EXISTS idx_project_id project_id TYPE bloom_filter GRANULARITY 4`,
    // The relay's batches carry a deterministic insert_deduplication_token (a
    // hash of their event ids): a single node honours it with a window.
    `ALTER TABLE ${qualified(o, 'audit_log')}${onCluster(o)} MODIFY SETTING non_replicated_deduplication_window = 1000`,
  ],
};

const ingestKeys: Migration = {
  version: 6,
  name: 'ingest_keys: idempotency keys of metric ingestion',
  statements: (o) => [
    // Per caller, ingest path, key and chunk: the digest of the points the
    // client sent, recorded once their insert succeeded (store/ingestKeysStore.ts).
    // A retry is answered from here without inserting; other points under the
    // key are a CONFLICT. Keys are kept a day (reads filter on recorded_at too).
    // A record written twice (two attempts at once) is harmless: the first counts.
    `CREATE TABLE IF NOT EXISTS ${qualified(o, 'ingest_keys')}${onCluster(o)} (
  caller_id String,
  source LowCardinality(String),
  idem_key String,
  chunk UInt32,
  digest String,
  rows UInt32,
  recorded_at DateTime64(3, 'UTC') DEFAULT now64(3)
) ENGINE = ${engine(o, 'MergeTree')}
ORDER BY (caller_id, source, idem_key, chunk)
TTL toDateTime(recorded_at) + INTERVAL 1 DAY`,
  ],
};

const experimentNames: Migration = {
  version: 7,
  name: 'experiment_names projection on experiment_metrics',
  statements: (o) => [
    // Per (experiment, metric name): how many points. Experiment.metricNames
    // groups by these two keys, so ClickHouse reads this projection (a few rows
    // per part, sorted by experiment) instead of every point of the experiment's
    // runs. Kept exact like step_blocks: inserted, merged, deleted (ALTER DELETE
    // rebuilds it) and expired with its part's rows.
    `ALTER TABLE ${metricsStorage(o)}${onCluster(o)} ADD PROJECTION IF NOT EXISTS experiment_names (
  SELECT experiment_id, metric_name, count()
  GROUP BY experiment_id, metric_name
)`,
    `ALTER TABLE ${metricsStorage(o)}${onCluster(o)} MATERIALIZE PROJECTION experiment_names`,
  ],
};

/** Every migration, in version order. Append only. */
export const MIGRATIONS: readonly Migration[] = [
  initial,
  deduplication,
  stepBlocks,
  usageDeduplication,
  auditTrail,
  ingestKeys,
  experimentNames,
];
