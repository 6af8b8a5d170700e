/**
 * Reading metrics through GraphQL: Run.metrics, Run.metricSeries,
 * Query.compareRuns and Experiment.metricSummary.
 *
 * Access: the caller must be able to READ the run (or experiment), asked of
 * the registry per request, batched. A run or experiment the caller may not
 * read — or that does not exist — answers null at that field with a NOT_FOUND
 * error (the fields are nullable so one hidden run does not void a whole
 * compareRuns answer or the rest of a Run).
 */
import { type BaseContext, labError } from '@lab/shared';
import { isUuid } from '../ingest/validate';
import type { ExperimentSummaryRow, MetricSummaryRow, SeriesParams, SeriesRow } from '../store/queryStore';
import type { MetricsLoaders } from './loaders';

export const MAX_SERIES_POINTS = 10_000;
export const DEFAULT_SERIES_POINTS = 1000;
export const MAX_COMPARE_RUNS = 100;

export interface QueryContext extends BaseContext {
  metrics: MetricsLoaders;
}

interface SeriesArgs {
  name: string;
  maxPoints?: number | null;
  from?: string | null;
  to?: string | null;
}

const iso = (ms: number) => new Date(ms).toISOString();

function instant(value: string | null | undefined, field: string): number | undefined {
  if (value == null) return undefined;
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) throw labError('BAD_USER_INPUT', `${field} must be an ISO 8601 date-time`, { field });
  return ms;
}

export function seriesParams(args: SeriesArgs): SeriesParams {
  const maxPoints = args.maxPoints ?? DEFAULT_SERIES_POINTS;
  if (!Number.isInteger(maxPoints) || maxPoints < 1 || maxPoints > MAX_SERIES_POINTS) {
    throw labError('BAD_USER_INPUT', `maxPoints must be between 1 and ${MAX_SERIES_POINTS}`, { field: 'maxPoints' });
  }
  if (args.name.length === 0 || args.name.length > 200) {
    throw labError('BAD_USER_INPUT', 'name must be 1 to 200 characters', { field: 'name' });
  }
  const fromMs = instant(args.from, 'from');
  const toMs = instant(args.to, 'to');
  if (fromMs !== undefined && toMs !== undefined && fromMs > toMs) {
    throw labError('BAD_USER_INPUT', 'from must not be after to', { field: 'from' });
  }
  return { name: args.name, maxPoints, fromMs, toMs };
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

function seriesOut(name: string, r: SeriesRow | null) {
  if (!r) return { name, exact: true, points: [] };
  return {
    name,
    exact: r.exact,
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

export const queryResolvers = {
  Query: {
    compareRuns: (_: unknown, args: { runIds: string[]; name: string; maxPoints?: number | null }) => {
      const params = seriesParams({ name: args.name, maxPoints: args.maxPoints });
      if (args.runIds.length === 0 || args.runIds.length > MAX_COMPARE_RUNS) {
        throw labError('BAD_USER_INPUT', `runIds must hold 1 to ${MAX_COMPARE_RUNS} ids`, { field: 'runIds' });
      }
      const bad = args.runIds.find((id) => !isUuid(id));
      if (bad !== undefined) throw labError('BAD_USER_INPUT', `runIds: ${bad} is not a UUID`, { field: 'runIds' });
      return args.runIds.map((runId) => ({ runId, run: { id: runId }, params }));
    },
  },
  RunSeries: {
    series: (parent: { runId: string; params: SeriesParams }, _: unknown, ctx: QueryContext) =>
      loadSeries(ctx, parent.runId, parent.params),
  },
  Run: {
    __resolveReference: (ref: Ref) => ({ id: ref.id }),
    metrics: async (run: Ref, _: unknown, ctx: QueryContext) => {
      await readable(ctx, 'RUN', run.id);
      return (await ctx.metrics.summaries.load(run.id)).map(summary);
    },
    metricSeries: (run: Ref, args: SeriesArgs, ctx: QueryContext) => loadSeries(ctx, run.id, seriesParams(args)),
  },
  Experiment: {
    __resolveReference: (ref: Ref) => ({ id: ref.id }),
    metricSummary: async (experiment: Ref, args: { name: string }, ctx: QueryContext) => {
      await readable(ctx, 'EXPERIMENT', experiment.id);
      return experimentOut(await ctx.metrics.experimentSummary.load({ experimentId: experiment.id, name: args.name }));
    },
  },
};
