import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLObjectType, GraphQLUnionType } from 'graphql';
import { describe, expect, it } from 'vitest';
import { BOOTSTRAP_ADMIN_ID, typeDefs } from './schema';

describe('registry SDL', () => {
  it('builds as a federation subgraph with User as an entity', () => {
    // (no instanceof checks: @apollo/subgraph may load graphql's CommonJS build, the test its ESM one)
    const schema = buildSubgraphSchema({ typeDefs });
    const entity = schema.getType('_Entity');
    expect((entity as GraphQLUnionType).getTypes().map((t) => t.name)).toContain('User');
    const query = schema.getQueryType() as GraphQLObjectType;
    expect(String(query.getFields().me?.type)).toBe('User');
    expect(String(query.getFields().registryStatus?.type)).toBe('StoreStatus!');
  });

  it('exports the bootstrap admin id as a UUID', () => {
    expect(BOOTSTRAP_ADMIN_ID).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
