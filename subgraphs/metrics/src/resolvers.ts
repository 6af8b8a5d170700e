import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import type { BaseContext } from '@lab/shared';
import type { MetricsStore } from './store/metricsStore';

export function createResolvers(store: MetricsStore): GraphQLResolverMap<BaseContext> {
  return {
    Query: {
      metricsStatus: () => store.status(),
    },
  };
}
