/**
 * The metrics service: opens the store (ClickHouse server, or chdb embedded at
 * config.clickhouse.embeddedPath when CLICKHOUSE_URL is unset), brings the
 * schema up to date, and serves the subgraph. main.ts runs it as a process.
 */
import { type Config, type Logger, startSubgraph } from '@lab/shared';
import { createResolvers } from './resolvers';
import { typeDefs } from './schema';
import { openMetricsStore } from './store/metricsStore';

export interface RunningMetrics {
  url: string;
  stop(): Promise<void>;
}

export async function startMetrics(config: Config, log: Logger): Promise<RunningMetrics> {
  const internalSecret = config.internalSecret;
  if (!internalSecret) {
    throw new Error(
      'LAB_INTERNAL_SECRET is not set: the metrics subgraph only answers requests signed by the gateway with it (npm start sets it)',
    );
  }
  const store = await openMetricsStore(config);
  log.info(
    { store: store.kind, where: config.clickhouse.url ?? config.clickhouse.embeddedPath, database: config.clickhouse.database },
    'ClickHouse store opened',
  );
  try {
    await store.migrate(log);
    const running = await startSubgraph(
      {
        name: 'metrics',
        typeDefs,
        resolvers: createResolvers(store),
        log,
        internalSecret,
        health: { clickhouse: (signal) => store.ping(signal) },
      },
      config.ports.metrics,
      config.host,
    );
    return {
      url: running.url,
      stop: async () => {
        await running.close();
        await store.close();
      },
    };
  } catch (err) {
    await store.close().catch(() => {});
    throw err;
  }
}
