/**
 * POST /internal/api-usage: the gateway's batches of API usage records
 * (one per GraphQL operation), stored in the api_usage table as one insert
 * per batch. Only the gateway may call it: `x-lab-context` must verify with
 * the internal secret, signed for API_USAGE_SIGNED_DOCUMENT by a service
 * caller. A batch is checked whole; a bad one is refused with 400 naming the
 * first bad records (the gateway does not retry a 400), a store failure is
 * 503 (the gateway retries the same batch id).
 */
import {
  API_USAGE_MAX_BATCH,
  API_USAGE_MAX_NAME,
  API_USAGE_SIGNED_DOCUMENT,
  type ApiUsageRecord,
  type Logger,
} from '@lab/shared';
import type { Request, RequestHandler, Response } from 'express';
import { checkBatch, DAY_MS, signedBatch, storeBatch, text, YEAR_MS } from '../internal/batchRoute';
import type { UsageStore } from '../store/usageStore';

export interface UsageRouteOptions {
  store: UsageStore;
  internalSecret: string;
  log: Logger;
  now?: () => number;
}

/** Room for API_USAGE_MAX_BATCH records of a few hundred bytes each. */
export const USAGE_BODY_LIMIT_BYTES = 16 * 1024 * 1024;
const BATCH_ID = /^[\x21-\x7e]{1,128}$/;
const ERROR_CODE = /^[A-Z][A-Z0-9_]{0,63}$/;
const OPERATION_TYPES = new Set(['query', 'mutation', 'subscription', 'unknown']);
const STATUSES = new Set(['ok', 'partial', 'error']);

/** Why a record is refused, or undefined when it is fine. */
export function checkUsageRecord(r: unknown, now: number): string | undefined {
  if (typeof r !== 'object' || r === null || Array.isArray(r)) return 'must be an object';
  const x = r as Record<string, unknown>;
  if (typeof x.timestampMs !== 'number' || !Number.isFinite(x.timestampMs)) return 'timestampMs must be epoch milliseconds';
  if (x.timestampMs < now - YEAR_MS || x.timestampMs > now + DAY_MS) return 'timestampMs is outside [now - 1 year, now + 1 day]';
  if (!text(x.requestId, 128) || x.requestId === '') return 'requestId must be 1 to 128 characters';
  if (!text(x.callerId, 128) || x.callerId === '') return 'callerId must be 1 to 128 characters';
  if (!text(x.operationName, API_USAGE_MAX_NAME))
    return `operationName must be a string of at most ${API_USAGE_MAX_NAME} characters`;
  if (typeof x.operationType !== 'string' || !OPERATION_TYPES.has(x.operationType)) {
    return `operationType must be one of ${[...OPERATION_TYPES].join(', ')}`;
  }
  if (typeof x.durationMs !== 'number' || !Number.isFinite(x.durationMs) || x.durationMs < 0) {
    return 'durationMs must be a finite number ≥ 0';
  }
  if (typeof x.status !== 'string' || !STATUSES.has(x.status)) return `status must be one of ${[...STATUSES].join(', ')}`;
  if (typeof x.errorCode !== 'string' || (x.errorCode !== '' && !ERROR_CODE.test(x.errorCode))) {
    return 'errorCode must be an error code (A-Z, 0-9, _) or empty';
  }
  return undefined;
}

export function usageHandler(options: UsageRouteOptions): RequestHandler {
  const now = options.now ?? Date.now;
  return async (req: Request, res: Response) => {
    const request = await signedBatch<{ batchId?: unknown; records?: unknown }>(req, res, {
      internalSecret: options.internalSecret,
      document: API_USAGE_SIGNED_DOCUMENT,
      sender: 'gateway',
      allows: () => true,
      limitBytes: USAGE_BODY_LIMIT_BYTES,
    });
    if (!request) return;
    const { signed, body } = request;
    if (typeof body.batchId !== 'string' || !BATCH_ID.test(body.batchId)) {
      res.status(400).json({ code: 'BAD_USER_INPUT', message: 'batchId must be 1 to 128 printable ASCII characters' });
      return;
    }
    const records = body.records;
    if (!Array.isArray(records) || records.length > API_USAGE_MAX_BATCH) {
      res.status(400).json({ code: 'BAD_USER_INPUT', message: `records must be an array of at most ${API_USAGE_MAX_BATCH}` });
      return;
    }
    const at = now();
    if (!checkBatch(res, records, (r) => checkUsageRecord(r, at), 'records')) return;
    const log = options.log.child({ requestId: signed.requestId });
    const batchId = body.batchId;
    const insert = () => options.store.insert(records as ApiUsageRecord[], batchId);
    if (!(await storeBatch(res, log, 'api usage batch', { records: records.length }, insert))) return;
    log.debug({ records: records.length, batchId: body.batchId }, 'api usage stored');
    res.status(200).json({ stored: records.length });
  };
}
