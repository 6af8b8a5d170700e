/**
 * What other packages use of the metrics subgraph: the service, its schema and resolvers, its store and ClickHouse
 * client; and, for benchmarks that measure the subgraph against raw ClickHouse on the same engine, its DDL
 * (bootstrap and migrations), its insert bound and its query store.
 */
export { createResolvers } from './resolvers';
export { typeDefs } from './schema';
export { type RunningMetrics, startMetrics } from './service';
export { type ClickHouseClient, createClickHouse } from './store/clickhouseClient';
export { MAX_INSERT_ROWS } from './store/ingestStore';
export { MetricsStore, openMetricsStore, type StoreStatus } from './store/metricsStore';
export { bootstrapStatements, MIGRATIONS, type Migration, type MigrationOptions } from './store/migrations';
export { QueryStore } from './store/queryStore';
