import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { type IngestContext, type LogMetricsArgs, logMetrics } from './ingest/logMetrics';
import { type QueryContext, queryResolvers } from './query/resolvers';
import type { MetricsStore } from './store/metricsStore';

export type MetricsContext = IngestContext & QueryContext;

export function createResolvers(store: MetricsStore): GraphQLResolverMap<MetricsContext> {
  return {
    Query: {
      metricsStatus: () => store.status(),
      ...queryResolvers.Query,
    },
    Mutation: {
      logMetrics: (_: unknown, args: LogMetricsArgs, ctx: IngestContext) => logMetrics(store.ingest, args, ctx),
    },
    RunSeries: queryResolvers.RunSeries,
    Run: queryResolvers.Run,
    Experiment: queryResolvers.Experiment,
  } as GraphQLResolverMap<MetricsContext>;
}
