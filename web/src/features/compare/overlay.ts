/**
 * Compared series on one x axis: compareRuns buckets each metric on a grid
 * shared by the runs, so a bucket's start step lines the runs up; exact
 * series (no bucketing) line up by step. The result is uPlot's aligned
 * form: one x array (the union of steps) and one y array per run, null
 * where a run has no point there. Pure, tested.
 */
import type { OverlayData } from '../../components/charts/OverlayChart';
import { pointsForWidth } from '../../components/charts/series';

export interface ComparePoint {
  bucketStart: number;
  value: number;
}

/** `series[i]` is run i's points of one metric (empty when it has none), in step order. */
export function overlayOf(series: readonly (readonly ComparePoint[])[]): OverlayData {
  const steps = new Set<number>();
  for (const points of series) for (const p of points) steps.add(p.bucketStart);
  const xs = [...steps].sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const ys = series.map((points) => {
    const y: (number | null)[] = new Array(xs.length).fill(null);
    for (const p of points) y[index.get(p.bucketStart) as number] = p.value;
    return y;
  });
  return { xs, ys };
}

/**
 * Points to ask per run and metric: about two per pixel of the chart's width,
 * kept within the API's caps (maxPoints 1 to 10,000; runs × names × maxPoints
 * at most 1,000,000).
 */
export function comparePoints(widthPx: number, runs: number, names: number): number {
  const cap = Math.floor(1_000_000 / Math.max(1, runs * names));
  return Math.max(1, Math.min(pointsForWidth(widthPx), cap));
}

/**
 * Distinct colours for up to 20 runs, readable on light and dark
 * backgrounds (Tableau 20's hues); run i keeps colour i on every chart.
 */
export const RUN_COLORS = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
  '#aec7e8',
  '#ffbb78',
  '#98df8a',
  '#ff9896',
  '#c5b0d5',
  '#c49c94',
  '#f7b6d2',
  '#c7c7c7',
  '#dbdb8d',
  '#9edae5',
];

export const MAX_COMPARED_RUNS = 20;
export const MAX_METRICS_PER_CALL = 10;

/** The run ids of a /compare?runs=a,b,... search string: trimmed, deduplicated, at most 20. */
export function runIdsOf(search: string): string[] {
  const raw = new URLSearchParams(search).get('runs') ?? '';
  const ids = raw
    .split(',')
    .map((id) => id.trim())
    .filter(Boolean);
  return [...new Set(ids)].slice(0, MAX_COMPARED_RUNS);
}
