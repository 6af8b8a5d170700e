/**
 * The audit trail: one event per registry mutation, written to the registry's
 * outbox (PostgreSQL) in the mutation's transaction, shipped by the registry's
 * relay in batches to the metrics subgraph (the owner of ClickHouse), which
 * stores them in the audit_log table. This is the wire format both sides agree on.
 */
import { createHash } from 'node:crypto';

/** The metrics subgraph's internal route the registry's relay posts audit batches to. */
export const AUDIT_PATH = '/internal/audit';
/** What the registry signs its service caller context for on that route. */
export const AUDIT_SIGNED_DOCUMENT = 'POST /internal/audit';
/** The service caller id the relay signs as; the route accepts no other. */
export const AUDIT_SENDER = 'registry';
/** Most events in one batch. */
export const AUDIT_MAX_BATCH = 1000;
/** Largest summary of one event, as JSON text (a bigger one is cut to its keys). */
export const AUDIT_MAX_SUMMARY = 4096;

export interface AuditEvent {
  /** The event id (UUID): the outbox row's id, unique, the deduplication key. */
  id: string;
  /** When the change was committed (the transaction's time), epoch milliseconds. */
  occurredAtMs: number;
  /** Who: a user id, the bootstrap admin's id, or a service name. */
  actorId: string;
  /** admin, user, service, or system (the registry itself, e.g. at start). */
  actorKind: string;
  requestId: string;
  /** `<entity>.<verb>`, e.g. experiment.create, apiKey.revoke. */
  action: string;
  /** Project, Experiment, Run, ... (the GraphQL type name). */
  entityType: string;
  entityId: string;
  /** The project the entity belongs to; '' when none (users, API keys). */
  projectId: string;
  /** sha256 (hex) of the change as canonical JSON. */
  changeDigest: string;
  /** A small JSON object describing the change (no secrets). */
  summary: Record<string, unknown>;
}

export interface AuditBatch {
  /** auditBatchId(ids of the events): the same events make the same id, across retries and processes. */
  batchId: string;
  events: AuditEvent[];
}

/** The deterministic id of a batch: sha256 of its sorted event ids. */
export function auditBatchId(eventIds: readonly string[]): string {
  return createHash('sha256')
    .update(
      [...eventIds]
        .map((id) => id.toLowerCase())
        .sort()
        .join(','),
    )
    .digest('hex');
}

/** JSON with object keys sorted at every level, so equal changes give equal digests. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'bigint') return v.toString();
    if (v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date)) {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return v;
  });
}

export function changeDigest(change: unknown): string {
  return createHash('sha256')
    .update(canonicalJson(change) ?? 'null')
    .digest('hex');
}
