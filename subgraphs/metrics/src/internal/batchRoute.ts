/**
 * What the metrics subgraph's internal batch routes share (POST
 * /internal/api-usage from the gateway, POST /internal/audit from the
 * registry): a service caller signed for the route, a bounded JSON body, and
 * a batch checked whole before anything is stored.
 */
import type { Caller, Logger, SignedContext } from '@lab/shared';
import { readJson, serviceCaller } from '@lab/shared/internal';
import type { Request, Response } from 'express';

export const YEAR_MS = 365 * 24 * 3600 * 1000;
export const DAY_MS = 24 * 3600 * 1000;
/** Bad items named in a 400 (the count says how many in all). */
const MAX_REPORTED = 20;

/**
 * The signed context of a sender `allows` accepts (signed for `document`) and the request's JSON body of at most
 * `limitBytes`; otherwise answers 401 or 400 and returns undefined.
 */
export async function signedBatch<TBody>(
  req: Request,
  res: Response,
  options: { internalSecret: string; document: string; sender: string; allows: (caller: Caller) => boolean; limitBytes: number },
): Promise<{ signed: SignedContext; body: TBody } | undefined> {
  const signed = serviceCaller(req, res, options);
  if (!signed) return undefined;
  const body = (await readJson(req, options.limitBytes)) as TBody | undefined;
  if (body === undefined) {
    res.status(400).json({ code: 'BAD_USER_INPUT', message: `body must be JSON of at most ${options.limitBytes} bytes` });
    return undefined;
  }
  return { signed, body };
}

/**
 * Stores a checked batch; when ClickHouse does not take it, logs `what` (with `fields`), answers 503 so that the
 * sender sends it again later, and returns undefined.
 */
export async function storeBatch<T>(
  res: Response,
  log: Logger,
  what: string,
  fields: Record<string, unknown>,
  insert: () => Promise<T>,
): Promise<{ stored: T } | undefined> {
  try {
    return { stored: await insert() };
  } catch (err) {
    log.warn({ err, ...fields }, `${what} not stored`);
    res.status(503).json({ code: 'SERVICE_UNAVAILABLE', message: 'ClickHouse did not take the batch; retry it' });
    return undefined;
  }
}

/** A string of at most `max` characters. */
export const text = (v: unknown, max: number): v is string => typeof v === 'string' && v.length <= max;

/**
 * Checks every item of a batch; when any is bad, answers 400 naming the first
 * ones (index and reason) with the total count, and returns false.
 */
export function checkBatch(
  res: Response,
  items: readonly unknown[],
  check: (item: unknown) => string | undefined,
  noun: string,
): boolean {
  const errors: { index: number; reason: string }[] = [];
  let errorCount = 0;
  items.forEach((item, index) => {
    const reason = check(item);
    if (!reason) return;
    errorCount++;
    if (errors.length < MAX_REPORTED) errors.push({ index, reason });
  });
  if (errorCount === 0) return true;
  res
    .status(400)
    .json({ code: 'BAD_USER_INPUT', message: `${errorCount} of ${items.length} ${noun} are invalid`, errors, errorCount });
  return false;
}
