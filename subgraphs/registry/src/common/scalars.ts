import { BigIntResolver, DateTimeResolver, JSONObjectResolver } from 'graphql-scalars';
import type { RegistryResolvers } from './resolvers';

export const scalarResolvers: RegistryResolvers = {
  DateTime: DateTimeResolver,
  JSONObject: JSONObjectResolver,
  BigInt: BigIntResolver,
  Query: {
    registryStatus: (_p: unknown, _a: unknown, ctx: { store: { status(): Promise<unknown> } }) => ctx.store.status(),
  },
};
