/**
 * How a file is uploaded: one PUT up to the multipart threshold, parts above.
 * S3's limits: parts of 5 MiB to 5 GiB (the last may be smaller), at most
 * 10,000 parts, objects up to 5 TiB. The part size is the configured one, or
 * the smallest whole MiB that fits the file in 10,000 parts, whichever is larger.
 */
import { labError } from '@lab/shared';

export const MIB = 1024 * 1024;
export const MAX_OBJECT_BYTES = 5 * 1024 * 1024 * MIB;
export const MAX_PARTS = 10_000;
export const MIN_PART_BYTES = 5 * MIB;
export const MAX_PART_BYTES = 5 * 1024 * MIB;
/** Part URLs in requestUpload's answer; more come from uploadPartUrls. */
export const FIRST_PAGE_PARTS = 100;
export const MAX_PAGE_PARTS = 1000;

export type UploadPlanShape =
  | { method: 'SINGLE'; sizeBytes: number }
  | { method: 'MULTIPART'; sizeBytes: number; partSize: number; partCount: number };

export function checkSize(sizeBytes: number): number {
  if (!Number.isSafeInteger(sizeBytes) || sizeBytes < 0) {
    throw labError('BAD_USER_INPUT', 'sizeBytes must be a whole number of bytes, 0 or more', { field: 'sizeBytes' });
  }
  if (sizeBytes > MAX_OBJECT_BYTES) {
    throw labError('BAD_USER_INPUT', `sizeBytes must be at most 5 TiB (${MAX_OBJECT_BYTES}), S3's largest object`, {
      field: 'sizeBytes',
    });
  }
  return sizeBytes;
}

export function planUpload(
  sizeBytes: number,
  options: { multipartThresholdBytes: number; partSizeBytes: number },
): UploadPlanShape {
  checkSize(sizeBytes);
  if (sizeBytes <= options.multipartThresholdBytes) return { method: 'SINGLE', sizeBytes };
  const fitting = Math.ceil(sizeBytes / MAX_PARTS / MIB) * MIB;
  const partSize = Math.min(MAX_PART_BYTES, Math.max(options.partSizeBytes, MIN_PART_BYTES, fitting));
  return { method: 'MULTIPART', sizeBytes, partSize, partCount: Math.ceil(sizeBytes / partSize) };
}

/** Bytes of part `n` (1-based) of a plan. */
export function partBytes(plan: { sizeBytes: number; partSize: number }, n: number): number {
  return Math.min(plan.partSize, plan.sizeBytes - (n - 1) * plan.partSize);
}
