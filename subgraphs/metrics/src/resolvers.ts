import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { type AuditContext, auditLog } from './audit/resolvers';
import { type IngestContext, type LogMetricsArgs, logMetrics } from './ingest/logMetrics';
import { type QueryContext, queryResolvers } from './query/resolvers';
import type { MetricsStore } from './store/metricsStore';
import type { MetricStreamHub } from './stream/metricStreamHub';
import { streamResolvers } from './stream/resolvers';

export type MetricsContext = IngestContext & QueryContext & AuditContext;

export function createResolvers(store: MetricsStore, hub: MetricStreamHub): GraphQLResolverMap<MetricsContext> {
  const stream = streamResolvers(hub);
  return {
    Query: {
      metricsStatus: () => store.status(),
      auditLog: (_: unknown, args: Parameters<typeof auditLog>[1], ctx: AuditContext) => auditLog(store.audit, args, ctx),
      ...queryResolvers.Query,
    },
    Mutation: {
      logMetrics: (_: unknown, args: LogMetricsArgs, ctx: IngestContext) => logMetrics(store.ingest, args, ctx),
    },
    Subscription: stream.Subscription,
    MetricPoint: stream.MetricPoint,
    RunSeries: queryResolvers.RunSeries,
    Run: queryResolvers.Run,
    Experiment: queryResolvers.Experiment,
  } as GraphQLResolverMap<MetricsContext>;
}
