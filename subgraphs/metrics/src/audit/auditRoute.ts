/**
 * POST /internal/audit: the registry relay's batches of audit events, stored
 * in audit_log as one insert per batch (AuditStore.insert: events already
 * stored are left out, the batch id is the insert_deduplication_token). Only
 * the registry may call it: `x-lab-context` must verify with the internal
 * secret, signed for AUDIT_SIGNED_DOCUMENT by the service caller "registry".
 * A batch is checked whole (400 naming the first bad events); a store
 * failure is 503 and the relay sends the batch again later.
 */
import { AUDIT_MAX_BATCH, AUDIT_SENDER, AUDIT_SIGNED_DOCUMENT, type AuditEvent, auditBatchId, type Logger } from '@lab/shared';
import type { Request, RequestHandler, Response } from 'express';
import { checkBatch, DAY_MS, signedBatch, storeBatch, text, YEAR_MS } from '../internal/batchRoute';
import type { AuditStore } from '../store/auditStore';

export interface AuditRouteOptions {
  store: AuditStore;
  internalSecret: string;
  log: Logger;
  now?: () => number;
}

/** Room for AUDIT_MAX_BATCH events with summaries of up to 4 KiB. */
export const AUDIT_BODY_LIMIT_BYTES = 8 * 1024 * 1024;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NAME = /^[A-Za-z][A-Za-z0-9_.]{0,63}$/;
const HEX64 = /^[0-9a-f]{64}$/;

/** Why an event is refused, or undefined when it is fine. */
export function checkAuditEvent(e: unknown, now: number): string | undefined {
  if (typeof e !== 'object' || e === null || Array.isArray(e)) return 'must be an object';
  const x = e as Record<string, unknown>;
  if (typeof x.id !== 'string' || !UUID.test(x.id)) return 'id must be a UUID';
  if (typeof x.occurredAtMs !== 'number' || !Number.isFinite(x.occurredAtMs)) return 'occurredAtMs must be epoch milliseconds';
  if (x.occurredAtMs < now - YEAR_MS || x.occurredAtMs > now + DAY_MS)
    return 'occurredAtMs is outside [now - 1 year, now + 1 day]';
  if (!text(x.actorId, 128) || x.actorId === '') return 'actorId must be 1 to 128 characters';
  if (typeof x.actorKind !== 'string' || !NAME.test(x.actorKind)) return 'actorKind must be a name';
  if (!text(x.requestId, 128)) return 'requestId must be at most 128 characters';
  if (typeof x.action !== 'string' || !NAME.test(x.action)) return 'action must be a name like experiment.create';
  if (typeof x.entityType !== 'string' || !NAME.test(x.entityType)) return 'entityType must be a type name';
  if (!text(x.entityId, 256) || x.entityId === '') return 'entityId must be 1 to 256 characters';
  if (typeof x.projectId !== 'string' || (x.projectId !== '' && !UUID.test(x.projectId)))
    return 'projectId must be a UUID or empty';
  if (typeof x.changeDigest !== 'string' || !HEX64.test(x.changeDigest)) return 'changeDigest must be 64 hex digits';
  if (typeof x.summary !== 'object' || x.summary === null || Array.isArray(x.summary)) return 'summary must be an object';
  return undefined;
}

export function auditHandler(options: AuditRouteOptions): RequestHandler {
  const now = options.now ?? Date.now;
  return async (req: Request, res: Response) => {
    const request = await signedBatch<{ batchId?: unknown; events?: unknown }>(req, res, {
      internalSecret: options.internalSecret,
      document: AUDIT_SIGNED_DOCUMENT,
      sender: 'registry',
      allows: (caller) => caller.id === AUDIT_SENDER,
      limitBytes: AUDIT_BODY_LIMIT_BYTES,
    });
    if (!request) return;
    const { signed, body } = request;
    const events = body.events;
    if (!Array.isArray(events) || events.length === 0 || events.length > AUDIT_MAX_BATCH) {
      res.status(400).json({ code: 'BAD_USER_INPUT', message: `events must be an array of 1 to ${AUDIT_MAX_BATCH}` });
      return;
    }
    const at = now();
    if (!checkBatch(res, events, (e) => checkAuditEvent(e, at), 'events')) return;
    const batch = events as AuditEvent[];
    const batchId = auditBatchId(batch.map((e) => e.id));
    if (body.batchId !== batchId) {
      res.status(400).json({ code: 'BAD_USER_INPUT', message: 'batchId must be auditBatchId of the event ids' });
      return;
    }
    const log = options.log.child({ requestId: signed.requestId });
    const insert = () => options.store.insert(batch, batchId);
    const { stored } = (await storeBatch(res, log, 'audit batch', { events: batch.length }, insert)) ?? {};
    if (stored === undefined) return;
    log.debug({ events: batch.length, stored, batchId }, 'audit batch stored');
    res.status(200).json({ received: batch.length, stored });
  };
}
