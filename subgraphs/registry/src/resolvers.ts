import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import type { RegistryContext } from './context';
import type { RegistryStore, User } from './store/registryStore';

export function createResolvers(store: RegistryStore): GraphQLResolverMap<RegistryContext> {
  return {
    Query: {
      me: (_parent: unknown, _args: unknown, ctx: RegistryContext) => ctx.users.load(ctx.caller.id),
      registryStatus: () => store.status(),
    },
    User: {
      __resolveReference: (ref: { id: string }, ctx: RegistryContext) => ctx.users.load(ref.id),
      createdAt: (user: User) => user.createdAt.toISOString(),
    },
  };
}
