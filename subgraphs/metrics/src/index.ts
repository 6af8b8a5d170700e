/** What other packages use of the metrics subgraph: the service, its schema and resolvers, its store and ClickHouse client. */
export { createResolvers } from './resolvers';
export { typeDefs } from './schema';
export { type RunningMetrics, startMetrics } from './service';
export { type ClickHouseClient, createClickHouse } from './store/clickhouseClient';
export { MetricsStore, openMetricsStore, type StoreStatus } from './store/metricsStore';
export { MIGRATIONS, type Migration, type MigrationOptions } from './store/migrations';
