import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { type IngestContext, type LogMetricsArgs, logMetrics } from './ingest/logMetrics';
import type { MetricsStore } from './store/metricsStore';

export function createResolvers(store: MetricsStore): GraphQLResolverMap<IngestContext> {
  return {
    Query: {
      metricsStatus: () => store.status(),
    },
    Mutation: {
      logMetrics: (_: unknown, args: LogMetricsArgs, ctx: IngestContext) => logMetrics(store.ingest, args, ctx),
    },
  };
}
