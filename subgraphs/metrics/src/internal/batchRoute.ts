/**
 * What the metrics subgraph's internal batch routes share (POST
 * /internal/api-usage from the gateway, POST /internal/audit from the
 * registry): a service caller signed for the route, a bounded JSON body, and
 * a batch checked whole before anything is stored.
 */
import { type Caller, CONTEXT_HEADER, type SignedContext, verifyContext } from '@lab/shared';
import type { Request, Response } from 'express';

export const YEAR_MS = 365 * 24 * 3600 * 1000;
export const DAY_MS = 24 * 3600 * 1000;
/** Bad items named in a 400 (the count says how many in all). */
const MAX_REPORTED = 20;

/** A string of at most `max` characters. */
export const text = (v: unknown, max: number): v is string => typeof v === 'string' && v.length <= max;

/**
 * The signed context when the request comes from the service `sender` allows
 * (signed for `document`); otherwise answers 401 and returns undefined.
 */
export function serviceCaller(
  req: Request,
  res: Response,
  options: { internalSecret: string; document: string; sender: string; allows: (caller: Caller) => boolean },
): SignedContext | undefined {
  const header = req.headers[CONTEXT_HEADER];
  const verdict = verifyContext(options.internalSecret, typeof header === 'string' ? header : undefined, options.document);
  if (verdict.ok && verdict.context.caller.kind === 'service' && options.allows(verdict.context.caller)) return verdict.context;
  const reason = verdict.ok ? `only the ${options.sender} may call it` : verdict.reason;
  req.resume();
  res.status(401).json({ code: 'UNAUTHENTICATED', message: `accepts only requests signed by the ${options.sender}: ${reason}` });
  return undefined;
}

/**
 * The body as JSON, or undefined when it is larger than the limit or not JSON.
 * Past the limit the rest is read and discarded: leaving the loop early would
 * destroy the request with its socket, and the answer could not be sent.
 */
export async function readJson(req: Request, limit: number): Promise<unknown> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const part of req as AsyncIterable<Buffer>) {
    size += part.length;
    if (size <= limit) parts.push(part);
  }
  if (size > limit) return undefined;
  try {
    return JSON.parse(Buffer.concat(parts).toString('utf8'));
  } catch {
    return undefined;
  }
}

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
