import { describe, expect, it } from 'vitest';
import { copyParts } from './copyStore';

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;

/** The byte ranges' bounds, checked to be contiguous from 0 to size - 1. */
function bounds(size: number, partBytes: number) {
  const parts = copyParts(size, partBytes);
  let next = 0;
  for (const [i, p] of parts.entries()) {
    expect(p.partNumber).toBe(i + 1);
    const [start, end] = (/^bytes=(\d+)-(\d+)$/.exec(p.range) ?? []).slice(1).map(Number) as [number, number];
    expect(start).toBe(next);
    next = end + 1;
  }
  expect(next).toBe(size);
  return parts;
}

describe('copyParts', () => {
  it('cuts an object into parts of the given size, the last one shorter', () => {
    const parts = bounds(6 * GIB + 1, 512 * MIB);
    expect(parts).toHaveLength(13);
    expect(parts.at(-1)?.range).toBe(`bytes=${6 * GIB}-${6 * GIB}`);
  });

  it('grows the parts past 10,000 of them (S3 takes no more), in whole MiB', () => {
    const parts = bounds(5 * 1024 * GIB, 512 * MIB);
    expect(parts.length).toBeLessThanOrEqual(10_000);
    expect(parts[0]?.range).toBe(`bytes=0-${525 * MIB - 1}`);
  });
});
