export { createResolvers } from './resolvers';
export { typeDefs } from './schema';
export { type RunningMetrics, startMetrics } from './service';
export { MetricsStore, openMetricsStore, type StoreStatus } from './store/metricsStore';
export { MIGRATIONS, type Migration, type MigrationOptions } from './store/migrations';
