/**
 * The shapes the metrics store speaks in, shared by its modules and by those
 * that call it (ingest/, query/, stream/, audit/): points and rows as they are
 * inserted, what the idempotency keys record, and the rows reads answer.
 * Types only: this module imports nothing, so every layer may import it.
 */

// Inserting points (ingestStore.ts, ingestKeysStore.ts).

/** A point that passed validation (ingest/validate.ts): what a row of experiment_metrics holds of it. */
export interface ValidPoint {
  name: string;
  value: number;
  step: number;
  timestampMs: number;
  tags: Record<string, string>;
}

/** A point of a run, with the experiment the registry says the run belongs to: one row of experiment_metrics. */
export interface MetricRow extends ValidPoint {
  runId: string;
  experimentId: string;
}

/** Rows with their insert body, encoded once (the body also feeds idempotency digests). */
export interface EncodedRows {
  rows: readonly MetricRow[];
  body: string;
}

/** Which ingest path stored a key: Mutation.logMetrics or POST /v1/metrics. */
export type IngestSource = 'graphql' | 'ndjson';

/** What a key's chunk held when it was first stored. */
export interface IngestKeyRecord {
  digest: string;
  rows: number;
}

// Reading series and summaries (queryStore.ts, seriesQuery.ts).

/** Which points, and how many at most per series. */
export interface SeriesWindow {
  maxPoints: number;
  /** Epoch milliseconds, inclusive. */
  fromMs?: number | undefined;
  /** Epoch milliseconds, exclusive. */
  toMs?: number | undefined;
  /** Inclusive; a non-negative safe integer. */
  fromStep?: number | undefined;
  /** Inclusive; a non-negative safe integer, at least fromStep. */
  toStep?: number | undefined;
}

/** One point of a series: a logged point when exact, else a bucket reporting its last point and its min, max and count. */
export interface SeriesPointRow {
  step: number;
  timestampMs: number;
  value: number;
  min: number;
  max: number;
  count: number;
  /** First step of the bucket on the grid; the point's step when exact. */
  bucketStart: number;
}

/** The series of one (run, metric). */
export interface SeriesRow {
  runId: string;
  name: string;
  /** Always true here: (run, metric) pairs never logged are absent from the answer. */
  logged: boolean;
  exact: boolean;
  /** Steps per bucket; null when exact. */
  bucketWidth: number | null;
  points: SeriesPointRow[];
}

/** A series asked for: the metric and its window. */
export interface SeriesParams extends SeriesWindow {
  name: string;
}

/** The summary of one metric of one run. */
export interface MetricSummaryRow {
  runId: string;
  name: string;
  last: number;
  min: number;
  max: number;
  count: number;
  lastStep: number;
  /** Epoch milliseconds. */
  lastTimestampMs: number;
}

/** A metric's summary across an experiment's runs (their last values). */
export interface ExperimentSummaryRow {
  experimentId: string;
  name: string;
  runs: number;
  min: number;
  max: number;
  mean: number;
  minRunId: string;
  maxRunId: string;
}

/** What the onQuery hook is told: which kind of read, its SQL and its parameters. */
export interface QueryEvent {
  kind: 'summaries' | 'series' | 'experimentSummaries' | 'metricNames' | 'experimentMetricNames';
  query: string;
  params: Record<string, unknown>;
}

// The audit log (auditStore.ts).

/** One row of audit_log, as ClickHouse answers it. */
export interface AuditRow {
  timestamp: string;
  event_id: string;
  request_id: string;
  actor_id: string;
  actor_kind: string;
  action: string;
  entity_type: string;
  entity_id: string;
  project_id: string;
  change_digest: string;
  payload: string;
}

/** Which audit events a page holds. */
export interface AuditFilter {
  entityType?: string;
  entityId?: string;
  actorId?: string;
  action?: string;
  /** Only these projects' events (non-admins: the project they own). */
  projectId?: string;
  fromMs?: number;
  toMs?: number;
}

/** Where a page starts: after (timestamp, event id), newest first. */
export interface AuditCursor {
  ms: number;
  id: string;
}
