import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import type { ArtifactsContext } from './context';
import { filesResolvers } from './files/resolvers';
import type { ArtifactsStore } from './store/artifactsStore';
import { uploadsResolvers } from './uploads/resolvers';

export function createResolvers(store: ArtifactsStore): GraphQLResolverMap<ArtifactsContext> {
  return {
    Query: {
      artifactsStatus: () => store.status(),
      ...filesResolvers.Query,
    },
    Mutation: uploadsResolvers.Mutation,
    Run: filesResolvers.Run,
    DatasetVersion: filesResolvers.DatasetVersion,
    ModelVersion: filesResolvers.ModelVersion,
    Artifact: filesResolvers.Artifact,
  } as GraphQLResolverMap<ArtifactsContext>;
}
