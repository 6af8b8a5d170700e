import { describe, expect, it } from 'vitest';
import { MAX_OBJECT_BYTES, MAX_PARTS, MIB, partBytes, planUpload } from './plan';

const defaults = { multipartThresholdBytes: 64 * MIB, partSizeBytes: 64 * MIB };

describe('planUpload', () => {
  it('uses one PUT up to the threshold, parts above', () => {
    expect(planUpload(0, defaults)).toEqual({ method: 'SINGLE', sizeBytes: 0 });
    expect(planUpload(64 * MIB, defaults).method).toBe('SINGLE');
    expect(planUpload(64 * MIB + 1, defaults)).toMatchObject({ method: 'MULTIPART', partSize: 64 * MIB, partCount: 2 });
  });

  it('fits 5 TiB in 10,000 parts with whole-MiB parts within S3 limits', () => {
    const plan = planUpload(MAX_OBJECT_BYTES, defaults);
    if (plan.method !== 'MULTIPART') throw new Error('expected multipart');
    expect(plan.partCount).toBeLessThanOrEqual(MAX_PARTS);
    expect(plan.partSize % MIB).toBe(0);
    expect(plan.partSize).toBeLessThanOrEqual(5 * 1024 * MIB);
    expect(plan.partSize * plan.partCount).toBeGreaterThanOrEqual(MAX_OBJECT_BYTES);
    expect(partBytes(plan, plan.partCount)).toBeGreaterThan(0);
  });

  it('grows parts past the configured size only when 10,000 would not hold the file', () => {
    const plan = planUpload(1024 * 1024 * MIB, { ...defaults, partSizeBytes: 5 * MIB }); // 1 TiB
    expect(plan).toMatchObject({ method: 'MULTIPART', partSize: 105 * MIB });
  });

  it('refuses negative, fractional and larger-than-S3 sizes', () => {
    for (const size of [-1, 1.5, MAX_OBJECT_BYTES + 1, Number.NaN]) {
      expect(() => planUpload(size, defaults)).toThrow(/sizeBytes/);
    }
  });

  it('gives the last part the rest', () => {
    expect(partBytes({ sizeBytes: 12 * MIB, partSize: 5 * MIB }, 3)).toBe(2 * MIB);
  });
});
