import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { mergeResolvers } from './common/resolvers';
import { scalarResolvers } from './common/scalars';
import type { RegistryContext } from './context';
import { lineageResolvers } from './domains/datasets/lineage';
import { datasetsResolvers } from './domains/datasets/resolvers';
import { experimentsResolvers } from './domains/experiments/resolvers';
import { identityResolvers } from './domains/identity/resolvers';
import { modelsResolvers } from './domains/models/resolvers';
import { promptsResolvers } from './domains/prompts/resolvers';

/** Every domain's resolvers, merged; a field defined twice fails at start. */
export function createResolvers(): GraphQLResolverMap<RegistryContext> {
  return mergeResolvers([
    scalarResolvers,
    identityResolvers,
    experimentsResolvers,
    modelsResolvers,
    datasetsResolvers,
    promptsResolvers,
    lineageResolvers,
  ]);
}
