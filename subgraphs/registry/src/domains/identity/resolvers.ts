import type { RegistryResolvers } from '../../common/resolvers';
import type { RegistryContext } from '../../context';

export const identityResolvers: RegistryResolvers = {
  Query: {
    me: (_parent: unknown, _args: unknown, ctx: RegistryContext) => ctx.loaders.users.load(ctx.caller.id),
  },
  User: {
    __resolveReference: (ref: { id: string }, ctx: RegistryContext) => ctx.loaders.users.load(ref.id),
  },
};
