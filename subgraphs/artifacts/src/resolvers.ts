import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import type { BaseContext } from '@lab/shared';
import type { ArtifactsStore } from './store/artifactsStore';

export function createResolvers(store: ArtifactsStore): GraphQLResolverMap<BaseContext> {
  return {
    Query: {
      artifactsStatus: () => store.status(),
    },
  };
}
