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

/**
 * Downloads (CSV, Parquet) at the gateway: GET /v1/export/experiments/{id}/runs.csv from the registry, GET
 * /v1/export/runs/{id}/metrics/{name}.csv|.parquet from the metrics service. The gateway signs the caller context
 * for the request line it forwards (exportSignedDocument), so a captured header serves no other download.
 */
export const EXPORT_PATH = '/v1/export';
export function exportSignedDocument(pathAndQuery: string): string {
  return `GET ${pathAndQuery}`;
}

/**
 * The metrics service's summaries of many runs' metrics (the runs CSV's metric columns), called by the registry
 * like its other internal routes (POST, JSON, signed for the route and body): MetricSummariesRequest →
 * MetricSummariesResult. At most MAX_SUMMARY_RUNS runs and MAX_SUMMARY_METRICS names.
 */
export const METRIC_SUMMARIES_PATH = '/internal/metrics/summaries';
export const MAX_SUMMARY_RUNS = 100_000;
export const MAX_SUMMARY_METRICS = 20;
export interface MetricSummariesRequest {
  runIds: string[];
  names: string[];
}
export interface MetricSummariesResult {
  /** One row per (run, metric) logged; pairs never logged are absent. */
  summaries: { runId: string; name: string; last: number; min: number; max: number }[];
}
