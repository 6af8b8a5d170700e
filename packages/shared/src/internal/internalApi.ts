/**
 * The internal routes the registry's saga orchestrator and reconciler call on
 * the stores' owners (internalCalls.ts: POST, JSON, signed by the registry for
 * the route and body). Each is idempotent: calling it twice with the same body
 * leaves the store as calling it once did.
 */

/** The service that may call these routes. */
export const INTERNAL_API_SENDER = 'registry';

/** A file owner with its parent, as the registry knows them (artifacts needs not ask back). */
export interface FileOwnerRef {
  kind: 'RUN' | 'DATASET_VERSION' | 'MODEL_VERSION';
  /** The run, dataset version or model version id. */
  id: string;
  /** Its experiment, dataset or model id. */
  parentId: string;
}

/** What a delete removes: one owner's files, or everything under an experiment (all its runs' outputs). */
export type FilesScope = FileOwnerRef | { kind: 'EXPERIMENT'; id: string };

export interface InspectedFile {
  /** Path under the owner. */
  name: string;
  key: string;
  sizeBytes: number;
  /** sha256:<64 hex>: as completeUpload verified it, or computed now when `checksums` was asked; null otherwise. */
  checksum: string | null;
  lastModifiedMs: number;
}

export const ARTIFACTS_INTERNAL = {
  /** { owner: FileOwnerRef, checksums?: boolean } → InspectFilesResult */
  inspect: '/internal/files/inspect',
  /** { scope: FilesScope } → DeleteFilesResult. Also aborts multipart uploads under the prefix. */
  delete: '/internal/files/delete',
  /** { from: FileOwnerRef, to: FileOwnerRef, names?: string[] } → CopyFilesResult */
  copy: '/internal/files/copy',
  /** { after?: string, limit?: number } → ListFileOwnersResult (the reconciler's scan of the bucket) */
  owners: '/internal/files/owners',
} as const;

export interface InspectFilesRequest {
  owner: FileOwnerRef;
  /** Compute the sha256 of files that have none recorded (reads them whole). */
  checksums?: boolean;
}
export interface InspectFilesResult {
  files: InspectedFile[];
  count: number;
  totalBytes: number;
}

export interface DeleteFilesRequest {
  scope: FilesScope;
}
export interface DeleteFilesResult {
  /** Objects (or object versions) deleted by this call; 0 when there was nothing left. */
  deleted: number;
  /** Multipart uploads aborted under the prefix. */
  abortedUploads: number;
}

export interface CopyFilesRequest {
  from: FileOwnerRef;
  to: FileOwnerRef;
  /** File names under `from` (exact names, or prefixes ending in "/"); all files when absent. */
  names?: string[];
}
export interface CopyFilesResult {
  files: { name: string; sizeBytes: number }[];
  count: number;
  totalBytes: number;
}

export interface ListFileOwnersRequest {
  /** Continuation: the `next` of the previous page. */
  after?: string;
  /** Objects scanned per page, 1 to 10,000 (default 5,000). */
  limit?: number;
}
export interface FileOwnerSummary {
  kind: FileOwnerRef['kind'];
  id: string;
  parentId: string;
  count: number;
  totalBytes: number;
  newestModifiedMs: number;
}
export interface ListFileOwnersResult {
  /** Owners seen in this page (one owner may continue on the next page: merge by kind and id). */
  owners: FileOwnerSummary[];
  /** Keys outside the owner layouts, uploads/pending/ and backups/ (reported, never deleted). */
  unknownKeys: string[];
  next: string | null;
}

export const METRICS_INTERNAL = {
  /** DeleteMetricsRequest → DeleteMetricsResult */
  delete: '/internal/metrics/delete',
  /** { after?: string, limit?: number } → ListMetricRunsResult */
  runs: '/internal/metrics/runs',
  /** RankRunsRequest → RankRunsResult (a read: the registry's run lists filtered or ordered by metrics) */
  rank: '/internal/metrics/rank',
} as const;

/** Deletes every point of an experiment, or of the listed runs (at most 10,000). */
export type DeleteMetricsRequest = { experimentId: string } | { runIds: string[] };
export interface DeleteMetricsResult {
  /** Points that were there before the delete (0 when already gone). */
  deleted: number;
}

export interface ListMetricRunsRequest {
  /** Continuation: the last runId of the previous page. */
  after?: string;
  /** Runs per page, 1 to 10,000 (default 5,000). */
  limit?: number;
}
export interface ListMetricRunsResult {
  /** Runs having points, by run id. */
  runs: { runId: string; experimentId: string; points: number; lastTimestampMs: number }[];
  next: string | null;
}

/** How a run's points of one metric are summed up: the last (at the largest step), the least, the greatest. */
export type MetricAggregate = 'last' | 'min' | 'max';

export interface MetricRef {
  name: string;
  aggregate: MetricAggregate;
}

/**
 * A condition on candidate runs, as the registry's filter language wrote it:
 * metric comparisons (a run without the metric matches none of them, as
 * `IS NULL` tells), the registry's own conditions as per-run flags, and
 * AND/OR/NOT (NOT is the complement).
 */
export type RankCondition =
  | { kind: 'compare'; metric: MetricRef; op: '=' | '!=' | '<' | '<=' | '>' | '>='; value: number }
  | { kind: 'in'; metric: MetricRef; negate: boolean; values: number[] }
  /** The run has no such metric (negate: it has). */
  | { kind: 'null'; metric: MetricRef; negate: boolean }
  /** Flag `index` of the run (RankRunsRequest.flags): a condition the registry answered. */
  | { kind: 'flag'; index: number }
  | { kind: 'and' | 'or'; operands: RankCondition[] }
  | { kind: 'not'; operand: RankCondition };

/** Where a page starts: after the run with this sort value (null: it lacks the metric) and id. */
export interface RankCursor {
  value: number | null;
  runId: string;
}

export type RankOrder =
  /** By a metric, runs without it last; ties by run id (as text) in the same direction. */
  | { kind: 'metric'; metric: MetricRef; direction: 'ASC' | 'DESC'; after?: RankCursor }
  /**
   * In the order the runs were sent (the registry's own order). The page of
   * group g starts at the run index `firstAfter[g]` (default 0: the start).
   */
  | { kind: 'given'; firstAfter?: number[] };

/**
 * Candidate runs (the registry's conditions already applied, access checked)
 * to filter by their metrics and order, a page per group (one group per
 * parent of a nested list: group numbers 0, 1, 2...). At most MAX_RANK_RUNS
 * runs and MAX_RANK_METRICS metric names.
 */
export interface RankRunsRequest {
  runIds: string[];
  /** The group of each run (0 for all when absent). */
  groups?: number[];
  /** Per run, one character per flag of the condition: '1' when it holds, '0' when not. */
  flags?: string[];
  condition?: RankCondition;
  order: RankOrder;
  /** Runs wanted per group after the cursor, 1 to 1,001 (a page and one more). */
  limit: number;
}

export interface RankedRun {
  runId: string;
  /** The order metric's value (null without it, and in the given order). */
  value: number | null;
}

export interface RankRunsResult {
  /** By group number: how many runs match in all, and the page's runs in order. */
  groups: { total: number; runs: RankedRun[] }[];
}

export const MAX_RANK_RUNS = 100_000;
export const MAX_RANK_METRICS = 20;
export const MAX_RANK_LIMIT = 1_001;
