/**
 * For tests: the documented series rule (docs/api/metrics.md) in plain
 * JavaScript, to hold the ClickHouse answers against point for point: which
 * points a window keeps, the step grid, and each bucket's last point, min,
 * max and count.
 */
import { STEP_BLOCK } from '../store/migrations';

export interface Point {
  step: number;
  value: number;
}

export interface ExpectedPoint {
  bucketStart: number;
  step: number;
  value: number;
  min: number;
  max: number;
  count: number;
}

/** The grid over glo..ghi for maxPoints: narrow buckets from glo, or whole 256-step blocks. */
export function gridOf(glo: number, ghi: number, maxPoints: number): { origin: number; width: number } {
  const narrow = Math.ceil((ghi - glo + 1) / maxPoints);
  if (narrow < STEP_BLOCK) return { origin: glo, width: narrow };
  const origin = glo - (glo % STEP_BLOCK);
  return { origin, width: STEP_BLOCK * Math.ceil(Math.ceil((ghi - origin + 1) / maxPoints) / STEP_BLOCK) };
}

/** The points of a series inside fromStep..toStep (inclusive; either may be absent). */
export function inRange(points: readonly Point[], fromStep?: number, toStep?: number): Point[] {
  return points.filter((p) => (fromStep === undefined || p.step >= fromStep) && (toStep === undefined || p.step <= toStep));
}

/** Buckets of points on a grid, in step order (points distinct by step). */
export function bucketsOn(points: readonly Point[], grid: { origin: number; width: number }): ExpectedPoint[] {
  const buckets = new Map<number, ExpectedPoint>();
  for (const p of points) {
    const bucketStart = grid.origin + Math.floor((p.step - grid.origin) / grid.width) * grid.width;
    const b = buckets.get(bucketStart);
    if (!b) buckets.set(bucketStart, { bucketStart, step: p.step, value: p.value, min: p.value, max: p.value, count: 1 });
    else {
      if (p.step > b.step) Object.assign(b, { step: p.step, value: p.value });
      b.min = Math.min(b.min, p.value);
      b.max = Math.max(b.max, p.value);
      b.count++;
    }
  }
  return [...buckets.values()].sort((a, b) => a.bucketStart - b.bucketStart);
}

/** A point as an exact series answers it. */
export function exactPoints(points: readonly Point[]): ExpectedPoint[] {
  return [...points]
    .sort((a, b) => a.step - b.step)
    .map((p) => ({ bucketStart: p.step, step: p.step, value: p.value, min: p.value, max: p.value, count: 1 }));
}

/** The first and last step of points. */
export function extent(points: readonly Point[]): { lo: number; hi: number } {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const p of points) {
    lo = Math.min(lo, p.step);
    hi = Math.max(hi, p.step);
  }
  return { lo, hi };
}

/** Run.metricSeries as documented: exact within maxPoints, else buckets on the run's grid (or fromStep..toStep). */
export function expectedSeries(
  points: readonly Point[],
  maxPoints: number,
  fromStep?: number,
  toStep?: number,
): { exact: boolean; bucketWidth: number | null; points: ExpectedPoint[] } {
  const kept = inRange(points, fromStep, toStep);
  if (kept.length <= maxPoints) return { exact: true, bucketWidth: null, points: exactPoints(kept) };
  const { lo, hi } = extent(kept);
  const grid = gridOf(fromStep ?? lo, toStep ?? hi, maxPoints);
  return { exact: false, bucketWidth: grid.width, points: bucketsOn(kept, grid) };
}
