/**
 * API usage: one record per GraphQL operation through the gateway, shipped in
 * batches to the metrics subgraph (the owner of ClickHouse), which stores them
 * in the api_usage table. This is the wire format both sides agree on.
 */

/** The metrics subgraph's internal route the gateway posts usage batches to. */
export const API_USAGE_PATH = '/internal/api-usage';
/** What the gateway signs its service caller context for on that route (there is no GraphQL document). */
export const API_USAGE_SIGNED_DOCUMENT = 'POST /internal/api-usage';
/** Most records in one batch. */
export const API_USAGE_MAX_BATCH = 10_000;
/** Operation names are cut to this many characters before they are stored. */
export const API_USAGE_MAX_NAME = 128;

/** How an operation ended: no errors, data with errors, or no data. */
export type ApiUsageStatus = 'ok' | 'partial' | 'error';

export interface ApiUsageRecord {
  /** When the request arrived, epoch milliseconds. */
  timestampMs: number;
  requestId: string;
  /** The authenticated caller's id (a user id, or the service name). */
  callerId: string;
  /** The operation's name, '' when anonymous (at most API_USAGE_MAX_NAME characters). */
  operationName: string;
  /** query, mutation, subscription, or unknown (the document did not parse or validate). */
  operationType: string;
  durationMs: number;
  status: ApiUsageStatus;
  /** The first error's extensions.code; '' when status is ok. */
  errorCode: string;
}

export interface ApiUsageBatch {
  /** Unique per batch and kept across its retries (the insert deduplication token). */
  batchId: string;
  records: ApiUsageRecord[];
}
