import { describe, expect, it } from 'vitest';
import { appendPoints, lastStepOf, mergePoints, pointsForWidth, seriesOf, stepRangeOf } from './series';

describe('chart series', () => {
  it('keeps bucket extremes as the band and exact points as a flat band', () => {
    const s = seriesOf([
      { step: 0, value: 1, min: 0.5, max: 9 },
      { step: 10, value: 2 },
    ]);
    expect(s).toEqual({ steps: [0, 10], values: [1, 2], mins: [0.5, 2], maxs: [9, 2] });
  });

  it('appends live points in place: later steps grow it, the last step is replaced, older ones dropped', () => {
    const s = seriesOf([{ step: 5, value: 1 }]);
    expect(
      appendPoints(s, [
        { step: 6, value: 2 },
        { step: 6, value: 3 },
        { step: 2, value: 0 },
        { step: 7, value: 4 },
      ]),
    ).toBe(3);
    expect(s.steps).toEqual([5, 6, 7]);
    expect(s.values).toEqual([1, 3, 4]);
    expect(lastStepOf(s)).toBe(7);
  });

  it('merges a refilled gap in step order, even behind points that arrived live after it', () => {
    const s = seriesOf([
      { step: 1, value: 1 },
      { step: 9, value: 9 },
    ]);
    expect(
      mergePoints(s, [
        { step: 4, value: 4 },
        { step: 5, value: 5 },
        { step: 9, value: 8 },
      ]),
    ).toBe(3);
    expect(s.steps).toEqual([1, 4, 5, 9]);
    expect(s.values).toEqual([1, 4, 5, 8]);
    expect(mergePoints(s, [{ step: 10, value: 10 }])).toBe(1);
    expect(lastStepOf(s)).toBe(10);
  });

  it('asks for about two points per pixel and turns a drag into whole steps', () => {
    expect(pointsForWidth(600)).toBe(1200);
    expect(pointsForWidth(10_000)).toBe(10_000);
    expect(stepRangeOf(10.2, 3.7)).toEqual({ fromStep: 4, toStep: 10 });
    expect(stepRangeOf(4.1, 4.9)).toBeNull();
  });
});
