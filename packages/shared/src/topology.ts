/** The parts of the platform and the fixed identities every package agrees on. */

/** The subgraphs, in supergraph order. The names are the join__Graph names and the service names. */
export const SUBGRAPH_NAMES = ['registry', 'metrics', 'artifacts'] as const;
export type SubgraphName = (typeof SUBGRAPH_NAMES)[number];

export function isSubgraphName(name: string): name is SubgraphName {
  return (SUBGRAPH_NAMES as readonly string[]).includes(name);
}

/** Which subgraph owns which store: only the owner talks to it, and /health reports it from the owner's answer. */
export const STORE_OWNERS = {
  postgresql: 'registry',
  clickhouse: 'metrics',
  s3: 'artifacts',
} as const satisfies Record<string, SubgraphName>;
export type StoreName = keyof typeof STORE_OWNERS;

/** The user LAB_ADMIN_API_KEY authenticates as; the registry seeds a user row with this id. */
export const BOOTSTRAP_ADMIN_ID = '00000000-0000-4000-8000-000000000001';

/** The metrics ingest endpoint the gateway forwards to the metrics subgraph. */
export const INGEST_PATH = '/v1/metrics';
/** What the gateway signs the caller context for on an ingest request (it has no GraphQL document). */
export const INGEST_SIGNED_DOCUMENT = 'POST /v1/metrics';
