/**
 * The typed series a chart draws: steps with a value line and a min/max
 * band (a bucketed series keeps each bucket's extremes, so spikes show at
 * any zoom; an exact one has min = max = value). Pure functions, tested.
 */
export interface BandSeries {
  steps: number[];
  values: number[];
  mins: number[];
  maxs: number[];
}

export interface SeriesPointLike {
  step: number;
  value: number;
  min?: number;
  max?: number;
}

export function emptySeries(): BandSeries {
  return { steps: [], values: [], mins: [], maxs: [] };
}

export function seriesOf(points: readonly SeriesPointLike[]): BandSeries {
  const s = emptySeries();
  appendPoints(s, points);
  return s;
}

/**
 * Appends points in step order, in place: a point at the last step replaces
 * it (the API keeps the last value logged at a step); one before the last
 * step is dropped (it belongs to a range already drawn). Returns how many
 * points changed the series.
 */
export function appendPoints(series: BandSeries, points: readonly SeriesPointLike[]): number {
  let changed = 0;
  for (const p of points) {
    const last = series.steps.length - 1;
    const lastStep = last >= 0 ? (series.steps[last] as number) : -1;
    if (p.step < lastStep) continue;
    const min = p.min ?? p.value;
    const max = p.max ?? p.value;
    if (p.step === lastStep) {
      series.values[last] = p.value;
      series.mins[last] = Math.min(series.mins[last] as number, min);
      series.maxs[last] = Math.max(series.maxs[last] as number, max);
    } else {
      series.steps.push(p.step);
      series.values.push(p.value);
      series.mins.push(min);
      series.maxs.push(max);
    }
    changed++;
  }
  return changed;
}

/**
 * Merges points fetched for a range (a gap refill) into the series, in step
 * order, wherever they fall: a step already drawn takes the fetched value.
 * Returns how many points were merged.
 */
export function mergePoints(series: BandSeries, points: readonly SeriesPointLike[]): number {
  if (points.length === 0) return 0;
  const last = lastStepOf(series);
  if (last === null || (points[0] as SeriesPointLike).step > last) return appendPoints(series, points);
  const merged = new Map<number, SeriesPointLike>();
  series.steps.forEach((step, i) => {
    merged.set(step, { step, value: series.values[i] as number, min: series.mins[i], max: series.maxs[i] });
  });
  for (const p of points) merged.set(p.step, p);
  const sorted = [...merged.values()].sort((a, b) => a.step - b.step);
  series.steps.length = 0;
  series.values.length = 0;
  series.mins.length = 0;
  series.maxs.length = 0;
  appendPoints(series, sorted);
  return points.length;
}

export function lastStepOf(series: BandSeries): number | null {
  return series.steps.length ? (series.steps[series.steps.length - 1] as number) : null;
}

/** How many points a chart of this width asks for: about two per pixel, within the API's 1 to 10,000. */
export function pointsForWidth(widthPx: number): number {
  return Math.max(100, Math.min(10_000, Math.round(widthPx * 2)));
}

/** The integer step range a drag selected, or null when it holds no whole step. */
export function stepRangeOf(from: number, to: number): { fromStep: number; toStep: number } | null {
  const fromStep = Math.max(0, Math.ceil(Math.min(from, to)));
  const toStep = Math.floor(Math.max(from, to));
  return toStep >= fromStep ? { fromStep, toStep } : null;
}
