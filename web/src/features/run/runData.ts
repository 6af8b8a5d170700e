/**
 * The run page's data, started as soon as the route is known (with the page's
 * chunk, not after it): the Run query, and as soon as it answers the first
 * metric's series at a width estimated from the window. The page and its first chart take these
 * answers instead of asking again; a chart whose measured width asks for a
 * clearly different number of points fetches its own.
 */
import type { OperationResult } from 'urql';
import type { LabClient } from '../../app/graphqlClient';
import { pointsForWidth } from '../../components/charts/series';
import type { MetricSeriesQuery as MetricSeriesResult } from '../../gql/graphql';
import { MetricSeriesQuery, RunQuery } from './queries';

/** A chart's width in the run page's layout (styles.css: main's padding, the .charts grid, the figure's box). */
export function estimatedChartWidth(viewportWidth: number): number {
  const content = viewportWidth - 2 * 16;
  const columns = Math.max(1, Math.floor((content + 12) / (480 + 12)));
  const column = (content - 12 * (columns - 1)) / columns;
  return Math.max(200, Math.floor(column - 2 * 1 - 2 * 8));
}

interface PreloadedSeries {
  name: string;
  maxPoints: number;
  result: Promise<OperationResult<MetricSeriesResult>>;
}

/** Per run: the first metric's series once the Run query answered (null when it has no metric). */
const preloaded = new Map<string, Promise<PreloadedSeries | null>>();
const freshRuns = new Set<string>();

/** Starts the run page's queries for `runId` (the Run query fills the client's cache). */
export function preloadRun(client: LabClient, runId: string): void {
  const { urql } = client;
  freshRuns.add(runId);
  const series = urql
    .query(RunQuery, { id: runId })
    .toPromise()
    .then((run) => {
      const name = run.data?.run.metricNames?.[0];
      if (!name) return null;
      const maxPoints = pointsForWidth(estimatedChartWidth(window.innerWidth));
      const result = urql
        .query(MetricSeriesQuery, { runId, name, maxPoints, fromStep: null, toStep: null }, { requestPolicy: 'network-only' })
        .toPromise();
      return { name, maxPoints, result };
    });
  preloaded.set(runId, series);
}

/** True once after preloadRun(runId): the page may take the cached Run answer without asking again. */
export function takeFreshRun(runId: string): boolean {
  return freshRuns.delete(runId);
}

/**
 * The preloaded full-range series of a metric when its number of points is within a quarter of `maxPoints`
 * (taken once), else null. Waits for the Run query the preload started, so a chart never asks twice.
 */
export async function takePreloadedSeries(
  runId: string,
  name: string,
  maxPoints: number,
): Promise<OperationResult<MetricSeriesResult> | null> {
  const entry = await preloaded.get(runId);
  if (!entry || entry.name !== name) return null;
  preloaded.delete(runId);
  return Math.abs(entry.maxPoints - maxPoints) <= maxPoints / 4 ? entry.result : null;
}

/** Drops what the preload fetched for `runId` and nobody took (the page is left). */
export function forgetPreloaded(runId: string): void {
  preloaded.delete(runId);
  freshRuns.delete(runId);
}
