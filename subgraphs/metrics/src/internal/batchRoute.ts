/**
 * What the metrics subgraph's internal batch routes share (POST
 * /internal/api-usage from the gateway, POST /internal/audit from the
 * registry): a service caller signed for the route, a bounded JSON body, and
 * a batch checked whole before anything is stored.
 */
import type { Response } from 'express';

export { readJson, serviceCaller } from '@lab/shared/internal';

export const YEAR_MS = 365 * 24 * 3600 * 1000;
export const DAY_MS = 24 * 3600 * 1000;
/** Bad items named in a 400 (the count says how many in all). */
const MAX_REPORTED = 20;

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
