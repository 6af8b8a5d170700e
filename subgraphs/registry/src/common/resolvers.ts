import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import type { RegistryContext } from '../context';

/**
 * One domain's resolvers: type name → field name → resolver, or a scalar.
 * Field resolvers receive (parent, args, ctx: RegistryContext, info);
 * __resolveReference receives (reference, ctx, info).
 */
export type RegistryResolvers = Record<string, unknown>;

/** Merges the domains' resolver maps type by type; a field defined twice is a bug. */
export function mergeResolvers(maps: RegistryResolvers[]): GraphQLResolverMap<RegistryContext> {
  const merged: Record<string, Record<string, unknown>> = {};
  for (const map of maps) {
    for (const [type, fields] of Object.entries(map)) {
      if (typeof fields !== 'object' || fields === null || Object.getPrototypeOf(fields) !== Object.prototype) {
        if (merged[type]) throw new Error(`resolvers for ${type} defined twice`);
        merged[type] = fields as Record<string, unknown>; // a scalar
        continue;
      }
      merged[type] ??= {};
      const target = merged[type];
      for (const [field, resolver] of Object.entries(fields)) {
        if (field in target) throw new Error(`resolver ${type}.${field} defined twice`);
        target[field] = resolver;
      }
    }
  }
  return merged as GraphQLResolverMap<RegistryContext>;
}
