/**
 * The metrics service: opens the store (ClickHouse server, or chdb embedded at
 * config.clickhouse.embeddedPath when CLICKHOUSE_URL is unset), brings the
 * schema up to date, and serves the subgraph. main.ts runs it as a process.
 */
import { API_USAGE_PATH, AUDIT_PATH, type Config, checkStoreConfig, type Logger, type StopSchedule } from '@lab/shared';
import { createRegistryAccess } from '@lab/shared/internal';
import { requireInternalSecret, startSubgraph } from '@lab/shared/subgraph';
import { auditHandler } from './audit/auditRoute';
import { mountSeriesExport } from './export/seriesExportRoute';
import type { IngestContext } from './ingest/logMetrics';
import { INGEST_PATH, ingestHandler } from './ingest/ndjsonRoute';
import { createRunAccess } from './ingest/runAccess';
import { mountMetricsRoutes } from './internal/metricsRoutes';
import { createMetricsLoaders } from './query/loaders';
import { createResolvers, type MetricsContext } from './resolvers';
import { typeDefs } from './schema';
import { type MetricsStore, openMetricsStore } from './store/metricsStore';
import { MetricStreamHub } from './stream/metricStreamHub';
import { type SharedStreams, shareStreams } from './stream/sharedStreams';
import { usageHandler } from './usage/usageRoute';

export interface RunningMetrics {
  url: string;
  store: MetricsStore;
  /** Live streams (Subscription.metricStream). */
  streams: MetricStreamHub;
  /** The graphql-ws server: subscriptions running and sockets open (from the gateway). */
  subscriptions: { readonly active: number; readonly sockets: number };
  /** Stops within the schedule (default: the 10 s bound; docs/operations/stopping.md). */
  stop(schedule?: StopSchedule): Promise<void>;
}

export async function startMetrics(config: Config, log: Logger): Promise<RunningMetrics> {
  const internalSecret = requireInternalSecret(config, 'metrics');
  checkStoreConfig(config, 'clickhouse'); // LAB_EMBEDDED_STORES=false: never chdb
  const store = await openMetricsStore(config);
  log.info(
    { store: store.kind, where: config.clickhouse.url ?? config.clickhouse.embeddedPath, database: config.clickhouse.database },
    'ClickHouse store opened',
  );
  try {
    await store.migrate(log);
  } catch (err) {
    await store.close().catch(() => {});
    throw err;
  }
  const registryAccess = (requestId: string, caller: IngestContext['caller']) =>
    createRegistryAccess({ registryUrl: config.subgraphUrls.registry, internalSecret, requestId, caller });
  const runAccess = (requestId: string, caller: IngestContext['caller']) => createRunAccess(registryAccess(requestId, caller));
  // With LAB_REDIS_URL, every replica's stored rows reach every replica's subscribers (docs/operations/scale-out.md).
  const sharing = config.redis.url ? shareStreams({ url: config.redis.url, log }) : undefined;
  const streams = new MetricStreamHub(sharing ? { watcher: sharing.watcher } : {});
  const shared: SharedStreams | undefined = sharing?.attach(streams);
  store.ingest.onInserted = shared ? (rows) => shared.publish(rows) : (rows) => streams.publish(rows);
  const running = await startSubgraph<MetricsContext>(
    {
      name: 'metrics',
      typeDefs,
      resolvers: createResolvers(store, streams),
      log,
      internalSecret,
      context: (base) => {
        // One registry client per request: run lookups and rights checks of a tick share one call.
        const registry = registryAccess(base.requestId, base.caller);
        return {
          ...base,
          runs: createRunAccess(registry),
          registry,
          metrics: createMetricsLoaders(store.query, registry),
        };
      },
      routes: (app, { stopping }) => {
        app.post(INGEST_PATH, ingestHandler({ store: store.ingest, internalSecret, log, runAccess, stopping }));
        app.post(API_USAGE_PATH, usageHandler({ store: store.usage, internalSecret, log }));
        app.post(AUDIT_PATH, auditHandler({ store: store.audit, internalSecret, log }));
        mountMetricsRoutes(app, {
          store: store.runPoints,
          ranking: store.ranking,
          exports: store.exports,
          internalSecret,
          log,
          onDelete: (scope) => (shared ? shared.deleted(scope) : streams.deleted(scope)),
        });
        mountSeriesExport(app, { store: store.exports, internalSecret, log, runAccess });
      },
      health: { clickhouse: (signal) => store.ping(signal) },
      onClose: async () => {
        streams.close();
        await shared?.close();
        return store.close();
      },
    },
    config.ports.metrics,
    config.host,
  );
  return {
    url: running.url,
    store,
    streams,
    subscriptions: running.subscriptions ?? { active: 0, sockets: 0 },
    stop: running.close,
  };
}
