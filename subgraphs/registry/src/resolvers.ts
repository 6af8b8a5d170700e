import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import type { GraphQLResolveInfo } from 'graphql';
import { mergeResolvers } from './common/resolvers';
import { scalarResolvers } from './common/scalars';
import type { RegistryContext } from './context';
import { lineageResolvers } from './domains/datasets/lineage';
import { datasetsResolvers } from './domains/datasets/resolvers';
import { experimentsResolvers } from './domains/experiments/resolvers';
import { runResolvers } from './domains/experiments/runResolvers';
import { identityResolvers } from './domains/identity/resolvers';
import { modelsResolvers } from './domains/models/resolvers';
import { operationsResolvers } from './domains/operations/resolvers';
import { promptsResolvers } from './domains/prompts/resolvers';
import { reconcileResolvers } from './domains/reconcile/resolvers';

/** Every domain's resolvers, merged; a field defined twice fails at start. */
export function createResolvers(): GraphQLResolverMap<RegistryContext> {
  return numberMutationWrites(
    mergeResolvers([
      scalarResolvers,
      identityResolvers,
      experimentsResolvers,
      runResolvers,
      modelsResolvers,
      datasetsResolvers,
      promptsResolvers,
      lineageResolvers,
      operationsResolvers,
      reconcileResolvers,
    ]),
  );
}

type FieldResolver = (parent: unknown, args: unknown, ctx: RegistryContext, info: GraphQLResolveInfo) => unknown;

/**
 * Each Mutation root field tells the request's idempotency key which field it
 * is (its response key), so its writes are kept and replayed by field
 * (store/idempotency.ts). Mutation root fields run one after another.
 */
function numberMutationWrites(resolvers: GraphQLResolverMap<RegistryContext>): GraphQLResolverMap<RegistryContext> {
  const mutation = resolvers.Mutation as Record<string, unknown> | undefined;
  if (!mutation) return resolvers;
  for (const [field, resolver] of Object.entries(mutation)) {
    if (typeof resolver !== 'function') continue;
    const resolve = resolver as FieldResolver;
    mutation[field] = (parent: unknown, args: unknown, ctx: RegistryContext, info: GraphQLResolveInfo) => {
      ctx.store.idempotency?.enterField(String(info.path.key));
      return resolve(parent, args, ctx, info);
    };
  }
  return resolvers;
}
