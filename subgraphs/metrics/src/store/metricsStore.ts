/**
 * The metrics store: the one holder of the ClickHouse client (a server, or
 * chdb embedded in this process). Resolvers and the service call it, never the
 * client. chdb allows one engine per process: open one store per process.
 */
import type { Config, Logger } from '@lab/shared';
import type { StoreStatus } from '@lab/shared/subgraph';
import { AuditStore } from './auditStore';
import { type ClickHouseClient, createClickHouse } from './clickhouseClient';
import { isSharded } from './ddl';
import { ExportStore } from './exportStore';
import { IngestStore } from './ingestStore';
import { type MigrateResult, migrate } from './migrate';
import { QueryStore } from './queryStore';
import { applyRetention, type RetentionChange } from './retention';
import { RunPointsStore } from './runPointsStore';
import { RunRankingStore } from './runRankingStore';
import { UsageStore } from './usageStore';

export type { StoreStatus };

export class MetricsStore {
  /** Metric point inserts (batched, deduplicated). */
  readonly ingest: IngestStore;
  /** Metric reads (summaries, series), batched; `query.onQuery` observes each query. */
  readonly query: QueryStore;
  /** API usage records from the gateway (the api_usage table). */
  readonly usage: UsageStore;
  /** The registry's audit events (the audit_log table). */
  readonly audit: AuditStore;
  /** Whole runs' points: counted, deleted and listed for the registry's sagas and reconciler. */
  readonly runPoints: RunPointsStore;
  /** Runs filtered and ordered by their metrics, for the registry's run lists. */
  readonly ranking: RunRankingStore;
  /** Series as CSV or Parquet files, and metric summaries for the registry's runs CSV. */
  readonly exports: ExportStore;

  constructor(
    private readonly client: ClickHouseClient,
    /** "clickhouse" or "chdb (embedded ClickHouse)". */
    readonly kind: string,
    private readonly options: { database: string; cluster: string | undefined; sharded?: boolean; retentionDays: number },
  ) {
    this.ingest = new IngestStore(client, options.database, kind === 'clickhouse', options.retentionDays, isSharded(options));
    this.query = new QueryStore(client, options.database);
    this.usage = new UsageStore(client, options.database);
    this.audit = new AuditStore(client, options.database);
    this.runPoints = new RunPointsStore(client, options);
    this.ranking = new RunRankingStore(client, options.database);
    this.exports = new ExportStore(client, options.database);
  }

  /** The migrations, then the retention (experiment_metrics' TTL) when it changed. */
  async migrate(log?: Logger): Promise<MigrateResult & { retention: RetentionChange }> {
    const { retentionDays, ...options } = this.options;
    const result = await migrate(this.client, { ...options, log });
    return { ...result, retention: await applyRetention(this.client, { ...options, log }, retentionDays) };
  }

  /** Health check: a SELECT 1 (on a server it also checks the credentials). */
  async ping(signal?: AbortSignal): Promise<void> {
    const result = await this.client.ping({ select: true, abort_signal: signal });
    if (!result.success) throw result.error;
  }

  async status(): Promise<StoreStatus> {
    const started = performance.now();
    const result = await this.client.query({ query: 'SELECT version() AS version', format: 'JSONEachRow' });
    const [row] = await result.json<{ version: string }>();
    const latencyMs = Math.round((performance.now() - started) * 10) / 10;
    return { service: 'metrics', store: this.kind, serverVersion: row?.version ?? 'unknown', latencyMs };
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

export async function openMetricsStore(config: Pick<Config, 'clickhouse'>): Promise<MetricsStore> {
  const { url, database, cluster, sharded, metricsRetentionDays } = config.clickhouse;
  const client = await createClickHouse(config);
  return new MetricsStore(client, url ? 'clickhouse' : 'chdb (embedded ClickHouse)', {
    database,
    cluster,
    sharded,
    retentionDays: metricsRetentionDays,
  });
}
