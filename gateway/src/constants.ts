/** Names and fixed ids the gateway relies on. */

/**
 * Fixed id of the bootstrap admin user (the caller LAB_ADMIN_API_KEY authenticates).
 * The registry seeds a user with this id; candidate for @lab/shared.
 */
export const BOOTSTRAP_ADMIN_ID = '00000000-0000-4000-8000-000000000001';

/** The subgraphs, in supergraph order. The names are the join__Graph names. */
export const SUBGRAPH_NAMES = ['registry', 'metrics', 'artifacts'] as const;
export type SubgraphName = (typeof SUBGRAPH_NAMES)[number];

/** Which subgraph owns which store: /health reports each store from its owner's answer. */
export const STORE_OWNERS = {
  postgresql: 'registry',
  clickhouse: 'metrics',
  s3: 'artifacts',
} as const satisfies Record<string, SubgraphName>;
export type StoreName = keyof typeof STORE_OWNERS;

export function isSubgraphName(name: string): name is SubgraphName {
  return (SUBGRAPH_NAMES as readonly string[]).includes(name);
}
