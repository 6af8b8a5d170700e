/**
 * MLflow's metric reads: get-history (a run's points of one metric in step
 * order, paged) and the UI's get-history-bulk-interval (several runs' points
 * of one metric over a step range, sampled), both answered from
 * Run.metricSeries / compareRuns. get-history reads windows of steps that
 * come back exact (at most 10,000 points each): when a window holds more, the
 * bucketed answer's counts say where to cut it. A page ends at a step
 * boundary; its token is the next step.
 */
import { invalid, MlflowError } from './errors';
import { optionalInt, type Params, requiredString, stringList } from './mapping';
import type { MlflowSession } from './session';

type Handler = (params: Params, session: MlflowSession) => Promise<object>;

/** Points a get-history page holds by default and at most (MLflow's client asks pages of 25,000). */
export const HISTORY_PAGE = 25_000;
const WINDOW = 10_000;

interface SeriesPoint {
  bucketStart: number;
  step: number;
  timestamp: string;
  value: number;
  count: number;
}
interface Series {
  logged: boolean;
  exact: boolean;
  bucketWidth: number | null;
  points: SeriesPoint[];
}

const SERIES = `query MlflowHistory($id: ID!, $name: String!, $from: Float, $to: Float) {
  run(id: $id) { metricSeries(name: $name, maxPoints: ${WINDOW}, fromStep: $from, toStep: $to) { logged exact bucketWidth points { bucketStart step timestamp value count } } } }`;

/** The exact points of steps from..(to), cutting the window where its buckets pass WINDOW points. */
async function exactWindow(
  session: MlflowSession,
  runId: string,
  name: string,
  from: number,
): Promise<{ points: SeriesPoint[]; to?: number }> {
  let to: number | undefined;
  for (let tries = 0; tries < 4; tries++) {
    const found = await session.gql<{ run: { metricSeries: Series | null } }>(SERIES, { id: runId, name, from, to });
    const series = found.run.metricSeries;
    if (!series?.logged) return { points: [] };
    if (series.exact) return { points: series.points, to };
    let seen = 0;
    let cut: number | undefined;
    for (const bucket of series.points) {
      if (seen + bucket.count > WINDOW) {
        cut = bucket.bucketStart - 1;
        break;
      }
      seen += bucket.count;
    }
    // A first bucket too full on its own: narrow to its width.
    to = cut === undefined || cut < from ? from + Math.max(0, Math.floor((series.bucketWidth ?? 1) / 2) - 1) : cut;
  }
  throw new MlflowError('INVALID_STATE', `Metric '${name}' has more than ${WINDOW} points at step ${from}: read it with GraphQL`);
}

const getHistory: Handler = async (params, session) => {
  const runId = requiredString(params, 'run_id', 'run_uuid');
  const key = requiredString(params, 'metric_key');
  const maxResults = optionalInt(params, 'max_results') ?? HISTORY_PAGE;
  if (maxResults < 1 || maxResults > HISTORY_PAGE)
    throw invalid(`Invalid value ${maxResults} for parameter 'max_results': 1 to ${HISTORY_PAGE}`);
  const token = params.page_token;
  let from = 0;
  if (typeof token === 'string' && token !== '') {
    from = Number(Buffer.from(token, 'base64url').toString());
    if (!Number.isSafeInteger(from) || from < 0) throw invalid('Invalid page_token');
  }
  const metrics: { key: string; value: number; timestamp: number; step: number }[] = [];
  let next: number | undefined;
  for (;;) {
    const { points, to } = await exactWindow(session, runId, key, from);
    let i = 0;
    for (; i < points.length; i++) {
      const p = points[i] as SeriesPoint;
      // End the page at a step boundary, past max_results.
      if (metrics.length >= maxResults && p.step !== metrics[metrics.length - 1]?.step) break;
      metrics.push({ key, value: p.value, timestamp: Date.parse(p.timestamp), step: p.step });
    }
    if (i < points.length) {
      next = (points[i] as SeriesPoint).step;
      break;
    }
    if (to === undefined) break; // the window reached the last step
    from = to + 1;
    if (metrics.length >= maxResults) {
      next = from;
      break;
    }
  }
  return { metrics, ...(next === undefined ? {} : { next_page_token: Buffer.from(String(next)).toString('base64url') }) };
};

/** Runs and points per run get-history-bulk-interval takes (MLflow's limits). */
export const BULK_LIMITS = { runs: 100, defaultPoints: 320, maxPoints: 2500 } as const;

/** A bulk read's run ids: at least one and at most BULK_LIMITS.runs, refused in the endpoint's own words. */
function bulkRunIds(params: Params, name: string, refusals: { none: string; tooMany: (count: number) => string }): string[] {
  const runIds = stringList(params, name);
  if (runIds.length === 0) throw invalid(refusals.none);
  if (runIds.length > BULK_LIMITS.runs) throw invalid(refusals.tooMany(runIds.length));
  return runIds;
}

const getHistoryBulkInterval: Handler = async (params, session) => {
  const runIds = bulkRunIds(params, 'run_ids', {
    none: "Missing value for required parameter 'run_ids'",
    tooMany: (n) =>
      `GetMetricHistoryBulkInterval request must specify at most ${BULK_LIMITS.runs} run_ids. Received ${n} run_ids.`,
  });
  const key = requiredString(params, 'metric_key');
  const maxResults = optionalInt(params, 'max_results') ?? BULK_LIMITS.defaultPoints;
  if (maxResults < 1 || maxResults > BULK_LIMITS.maxPoints)
    throw invalid(`max_results must be between 1 and ${BULK_LIMITS.maxPoints}`);
  const start = optionalInt(params, 'start_step');
  const end = optionalInt(params, 'end_step');
  if ((start === undefined) !== (end === undefined))
    throw invalid('If either start step or end step are specified, both must be specified.');
  if (start !== undefined && end !== undefined && start > end) throw invalid('end_step must be greater than start_step.');
  const found = await session.gql<{ compareRuns: { runId: string; series: Series | null }[] }>(
    `query MlflowBulkInterval($ids: [ID!]!, $name: String!, $max: Int, $from: Float, $to: Float) {
      compareRuns(runIds: $ids, name: $name, maxPoints: $max, fromStep: $from, toStep: $to) { runId series { points { step timestamp value } } } }`,
    { ids: runIds, name: key, max: maxResults, from: start, to: end },
  );
  const metrics = found.compareRuns.flatMap((s) =>
    (s.series?.points ?? []).map((p) => ({
      key,
      value: p.value,
      timestamp: Date.parse(p.timestamp),
      step: p.step,
      run_id: s.runId,
    })),
  );
  return { metrics };
};

/** The UI's older bulk read: each run's points of one metric, at most 25,000 in all (MLflow's limit). */
const getHistoryBulk: Handler = async (params, session) => {
  const runIds = bulkRunIds(params, 'run_id', {
    none: 'GetMetricHistoryBulk request must specify at least one run_id.',
    tooMany: (n) => `GetMetricHistoryBulk request cannot specify more than ${BULK_LIMITS.runs} run_ids. Received ${n} run_ids.`,
  });
  const key = requiredString(params, 'metric_key');
  const metrics: object[] = [];
  for (const runId of runIds) {
    const left = HISTORY_PAGE - metrics.length;
    if (left <= 0) break;
    const page = (await getHistory({ run_id: runId, metric_key: key, max_results: left }, session)) as { metrics: object[] };
    metrics.push(...page.metrics.slice(0, left).map((m) => ({ ...m, run_id: runId })));
  }
  return { metrics };
};

export const metricHandlers: Record<string, { method: 'GET' | 'POST'; handler: Handler }> = {
  'metrics/get-history': { method: 'GET', handler: getHistory },
  'metrics/get-history-bulk-interval': { method: 'GET', handler: getHistoryBulkInterval },
  'metrics/get-history-bulk': { method: 'GET', handler: getHistoryBulk },
};
