/**
 * Reading metrics through GraphQL: Run.metrics, Run.metricNames,
 * Run.metricSeries, Query.compareRuns, Experiment.metricSummary and
 * Experiment.metricNames.
 *
 * Access: the caller must be able to READ the run (or experiment), asked of
 * the registry per request, batched. A run or experiment the caller may not
 * read — or that does not exist — answers null at that field with a NOT_FOUND
 * error (the fields are nullable so one hidden run does not void a whole
 * compareRuns answer or the rest of a Run). compareRuns checks every run
 * before it reads, so the shared grid spans readable runs only.
 *
 * A metric the run never logged answers `logged: false` (points empty); one
 * logged but with no point in the range answers `logged: true`, points empty.
 */
import { labError } from '@lab/shared';
import type { BaseContext } from '@lab/shared/subgraph';
import { isUuid } from '../ingest/validate';
import type { ExperimentSummaryRow, MetricSummaryRow, SeriesParams, SeriesRow, SeriesWindow } from '../store/types';
import type { MetricsLoaders } from './loaders';

export const MAX_SERIES_POINTS = 10_000;
export const DEFAULT_SERIES_POINTS = 1000;
export const MAX_COMPARE_RUNS = 100;
/** Metric names per compareRuns call. */
export const MAX_COMPARE_METRICS = 10;
/** Points one compareRuns call may answer: runs × names × maxPoints. */
export const MAX_COMPARE_POINTS = 1_000_000;

export interface QueryContext extends BaseContext {
  metrics: MetricsLoaders;
}

interface SeriesArgs {
  name: string;
  maxPoints?: number | null;
  from?: string | null;
  to?: string | null;
  fromStep?: number | null;
  toStep?: number | null;
}

const iso = (ms: number) => new Date(ms).toISOString();

function instant(value: string | null | undefined, field: string): number | undefined {
  if (value == null) return undefined;
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) throw labError('BAD_USER_INPUT', `${field} must be an ISO 8601 date-time`, { field });
  return ms;
}

function stepBound(value: number | null | undefined, field: string): number | undefined {
  if (value == null) return undefined;
  if (!Number.isSafeInteger(value) || value < 0) {
    throw labError('BAD_USER_INPUT', `${field} must be an integer from 0 to 2^53 − 1`, { field });
  }
  return value;
}

function checkName(name: string, field: string): void {
  if (name.length === 0 || name.length > 200) {
    throw labError('BAD_USER_INPUT', `${field} must be 1 to 200 characters`, { field });
  }
}

/** maxPoints, the time window and the step range, checked. */
export function seriesWindow(args: Omit<SeriesArgs, 'name'>): SeriesWindow {
  const maxPoints = args.maxPoints ?? DEFAULT_SERIES_POINTS;
  if (!Number.isInteger(maxPoints) || maxPoints < 1 || maxPoints > MAX_SERIES_POINTS) {
    throw labError('BAD_USER_INPUT', `maxPoints must be between 1 and ${MAX_SERIES_POINTS}`, { field: 'maxPoints' });
  }
  const fromMs = instant(args.from, 'from');
  const toMs = instant(args.to, 'to');
  if (fromMs !== undefined && toMs !== undefined && fromMs > toMs) {
    throw labError('BAD_USER_INPUT', 'from must not be after to', { field: 'from' });
  }
  const fromStep = stepBound(args.fromStep, 'fromStep');
  const toStep = stepBound(args.toStep, 'toStep');
  if (fromStep !== undefined && toStep !== undefined && fromStep > toStep) {
    throw labError('BAD_USER_INPUT', 'fromStep must not be after toStep', { field: 'fromStep' });
  }
  return { maxPoints, fromMs, toMs, fromStep, toStep };
}

export function seriesParams(args: SeriesArgs): SeriesParams {
  checkName(args.name, 'name');
  return { name: args.name, ...seriesWindow(args) };
}

interface CompareArgs {
  runIds: string[];
  name?: string | null;
  names?: string[] | null;
  maxPoints?: number | null;
  fromStep?: number | null;
  toStep?: number | null;
}

/** compareRuns' arguments, checked: the run ids, the names (name first, then names, once each) and the window. */
export function compareParams(args: CompareArgs): { runIds: string[]; names: string[]; window: SeriesWindow } {
  const window = seriesWindow(args);
  const names = [...new Set([...(args.name != null ? [args.name] : []), ...(args.names ?? [])])];
  if (names.length === 0 || names.length > MAX_COMPARE_METRICS) {
    throw labError('BAD_USER_INPUT', `name and names must give 1 to ${MAX_COMPARE_METRICS} metric names`, { field: 'names' });
  }
  for (const n of names) checkName(n, 'names');
  if (args.runIds.length === 0 || args.runIds.length > MAX_COMPARE_RUNS) {
    throw labError('BAD_USER_INPUT', `runIds must hold 1 to ${MAX_COMPARE_RUNS} ids`, { field: 'runIds' });
  }
  const bad = args.runIds.find((id) => !isUuid(id));
  if (bad !== undefined) throw labError('BAD_USER_INPUT', `runIds: ${bad} is not a UUID`, { field: 'runIds' });
  const points = args.runIds.length * names.length * window.maxPoints;
  if (points > MAX_COMPARE_POINTS) {
    throw labError(
      'BAD_USER_INPUT',
      `runs × names × maxPoints must be at most ${MAX_COMPARE_POINTS.toLocaleString('en')} (got ${points.toLocaleString('en')}): lower maxPoints or compare fewer`,
      { field: 'maxPoints' },
    );
  }
  return { runIds: args.runIds, names, window };
}

async function readable(ctx: QueryContext, kind: 'RUN' | 'EXPERIMENT', id: string): Promise<void> {
  const ok = isUuid(id) && (await ctx.metrics.access.canRead(kind, id));
  if (!ok) throw labError('NOT_FOUND', `${kind === 'RUN' ? 'run' : 'experiment'} ${id} not found`);
}

function summary(r: MetricSummaryRow) {
  return {
    name: r.name,
    last: r.last,
    min: r.min,
    max: r.max,
    count: r.count,
    lastStep: r.lastStep,
    lastTimestamp: iso(r.lastTimestampMs),
  };
}

/** A series as GraphQL answers it; no row: the run never logged the metric. */
function seriesOut(name: string, r: SeriesRow | null | undefined) {
  if (!r) return { name, logged: false, exact: true, bucketWidth: null, points: [] };
  return {
    name,
    logged: true,
    exact: r.exact,
    bucketWidth: r.bucketWidth,
    points: r.points.map((p) => ({ ...p, timestamp: iso(p.timestampMs) })),
  };
}

async function loadSeries(ctx: QueryContext, runId: string, params: SeriesParams) {
  await readable(ctx, 'RUN', runId);
  return seriesOut(params.name, await ctx.metrics.series.load({ runId, ...params }));
}

function experimentOut(r: ExperimentSummaryRow | null) {
  if (!r) return null;
  return {
    name: r.name,
    runs: r.runs,
    min: r.min,
    max: r.max,
    mean: r.mean,
    minRunId: r.minRunId,
    maxRunId: r.maxRunId,
  };
}

interface Ref {
  id: string;
}

interface RunSeriesOut {
  runId: string;
  name: string;
  run: Ref;
  /** Absent: the run does not exist or the caller may not read it. */
  series?: ReturnType<typeof seriesOut>;
}

async function compareRuns(args: CompareArgs, ctx: QueryContext): Promise<RunSeriesOut[]> {
  const { runIds, names, window } = compareParams(args);
  const unique = [...new Set(runIds.map((id) => id.toLowerCase()))];
  const allowed = new Set(
    (await Promise.all(unique.map(async (id) => ((await ctx.metrics.access.canRead('RUN', id)) ? id : null)))).filter(
      (id): id is string => id !== null,
    ),
  );
  const rows = await ctx.metrics.compare([...allowed], names, window);
  const byPair = new Map(rows.map((r) => [`${r.runId} ${r.name}`, r]));
  return runIds.flatMap((runId) =>
    names.map((name) => {
      const id = runId.toLowerCase();
      const out: RunSeriesOut = { runId, name, run: { id: runId } };
      if (allowed.has(id)) out.series = seriesOut(name, byPair.get(`${id} ${name}`));
      return out;
    }),
  );
}

export const queryResolvers = {
  Query: {
    compareRuns: (_: unknown, args: CompareArgs, ctx: QueryContext) => compareRuns(args, ctx),
  },
  RunSeries: {
    series: (parent: RunSeriesOut) => {
      if (!parent.series) throw labError('NOT_FOUND', `run ${parent.runId} not found`);
      return parent.series;
    },
  },
  Run: {
    __resolveReference: (ref: Ref) => ({ id: ref.id }),
    metrics: async (run: Ref, _: unknown, ctx: QueryContext) => {
      await readable(ctx, 'RUN', run.id);
      return (await ctx.metrics.summaries.load(run.id)).map(summary);
    },
    metricNames: async (run: Ref, _: unknown, ctx: QueryContext) => {
      await readable(ctx, 'RUN', run.id);
      return ctx.metrics.metricNames.load(run.id);
    },
    metricSeries: (run: Ref, args: SeriesArgs, ctx: QueryContext) => loadSeries(ctx, run.id, seriesParams(args)),
  },
  Experiment: {
    __resolveReference: (ref: Ref) => ({ id: ref.id }),
    metricSummary: async (experiment: Ref, args: { name: string }, ctx: QueryContext) => {
      await readable(ctx, 'EXPERIMENT', experiment.id);
      return experimentOut(await ctx.metrics.experimentSummary.load({ experimentId: experiment.id, name: args.name }));
    },
    metricNames: async (experiment: Ref, _: unknown, ctx: QueryContext) => {
      await readable(ctx, 'EXPERIMENT', experiment.id);
      return ctx.metrics.experimentMetricNames.load(experiment.id);
    },
  },
};
