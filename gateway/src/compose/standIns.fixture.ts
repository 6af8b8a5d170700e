/**
 * Test-only stand-ins for the subgraphs' planned SDL, so composition policy can
 * be tested on its own. The real SDL lives in subgraphs/<name>/src/schema.ts.
 */
import { parse } from 'graphql';
import type { SubgraphInput } from './compose';

const LINK = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable"])`;

export const STORE_STATUS = `type StoreStatus @shareable {
  service: String!
  store: String!
  serverVersion: String!
  latencyMs: Float!
}`;

export function standIns(overrides: Partial<Record<SubgraphInput['name'], string>> = {}): SubgraphInput[] {
  const sdl = {
    registry: `${LINK}
type User @key(fields: "id") { id: ID!, email: String!, name: String!, isAdmin: Boolean!, createdAt: String! }
${STORE_STATUS}
type Query { me: User, registryStatus: StoreStatus! }`,
    metrics: `${LINK}\n${STORE_STATUS}\ntype Query { metricsStatus: StoreStatus! }`,
    artifacts: `${LINK}\n${STORE_STATUS}\ntype Query { artifactsStatus: StoreStatus! }`,
    ...overrides,
  };
  return (['registry', 'metrics', 'artifacts'] as const).map((name) => ({ name, typeDefs: parse(sdl[name]) }));
}
