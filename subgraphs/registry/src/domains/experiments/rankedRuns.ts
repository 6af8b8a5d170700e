/**
 * Run lists filtered or ordered by metrics, a join across the stores:
 *
 *   1. PostgreSQL: the candidates, the runs passing the registry's own
 *      conditions (access, RunFilter, the search's SQL part), with the flags
 *      the metric condition needs and, in a registry order, their positions
 *      (RunCandidatesStore, one query);
 *   2. the metrics service: their metric summaries, the condition, the order
 *      and a page per parent, in one ClickHouse query (METRICS_INTERNAL.rank);
 *   3. PostgreSQL: the page's runs by id (one query).
 *
 * Nested lists (Experiment.runs of many experiments) make the same three
 * calls for all the parents of a request: one group per experiment. Cursors
 * are (sort value, id): the metric's value (null for runs without it, which
 * come last) or the registry column's, so pages stay stable.
 */
import { labError } from '@lab/shared';
import {
  InternalCallError,
  MAX_RANK_RUNS,
  METRICS_INTERNAL,
  type RankOrder,
  type RankRunsRequest,
  type RankRunsResult,
} from '@lab/shared/internal';
import DataLoader from 'dataloader';
import { type Connection, sortValueOf, toConnection } from '../../common/pagination';
import type { RegistryContext } from '../../context';
import type { RunRow } from '../../store/experimentsStore';
import type { CandidateScope } from '../../store/runCandidatesStore';
import type { RunList } from './listArgs';

/** One parent's page: its runs in order (first + 1 at most), each with its sort value, and how many match in all. */
export interface RankedPage {
  rows: RunRow[];
  values: Map<string, number | null>;
  total: number;
}

/** Whether a list needs the metrics service. */
export function isRanked(list: RunList): boolean {
  return list.metrics !== undefined || list.metricOrder !== undefined;
}

async function rank(ctx: RegistryContext, request: RankRunsRequest): Promise<RankRunsResult> {
  if (!ctx.services) {
    throw labError('SERVICE_UNAVAILABLE', 'Runs by their metrics need the metrics service, which is not configured here', {
      service: 'metrics',
    });
  }
  try {
    return await ctx.services.metrics<RankRunsResult>(METRICS_INTERNAL.rank, request, { timeoutMs: 60_000 });
  } catch (err) {
    if (!(err instanceof InternalCallError)) throw err;
    ctx.log.warn({ err, runs: request.runIds.length }, 'ranking runs by their metrics failed');
    const code = err.transient ? 'SERVICE_UNAVAILABLE' : err.code === 'BAD_USER_INPUT' ? 'BAD_USER_INPUT' : 'INTERNAL';
    throw labError(code, `Runs by their metrics: ${err.publicMessage}`, { service: 'metrics' });
  }
}

/** The page of each group (`groupCount` of them) of a list that needs the metrics service. */
async function rankedPages(ctx: RegistryContext, scope: CandidateScope, list: RunList, first: number): Promise<RankedPage[]> {
  const groupCount = 'experimentIds' in scope ? scope.experimentIds.length : 1;
  const started = performance.now();
  const candidates = await ctx.store.runCandidates.candidates(scope, {
    flags: list.metrics?.flags ?? [],
    ...(list.metricOrder ? {} : { order: { sort: list.sort, cursor: list.cursor } }),
    limit: MAX_RANK_RUNS,
  });
  if (candidates.overflow) {
    throw labError(
      'BAD_USER_INPUT',
      `More than ${MAX_RANK_RUNS} runs pass the list's other conditions: narrow it (an experiment, a project, params, tags or config) before filtering or ordering by metrics`,
      { argument: 'search' },
    );
  }
  const empty = (): RankedPage => ({ rows: [], values: new Map(), total: 0 });
  if (candidates.runIds.length === 0) return Array.from({ length: groupCount }, empty);
  const { cursor, metricOrder } = list;
  const order: RankOrder = metricOrder
    ? {
        kind: 'metric',
        ...metricOrder,
        ...(cursor ? { after: { value: cursor.v as number | null, runId: cursor.id } } : {}),
      }
    : { kind: 'given', ...(cursor ? { firstAfter: candidates.firstAfter } : {}) };
  const request: RankRunsRequest = {
    runIds: candidates.runIds,
    ...(groupCount > 1 ? { groups: candidates.groups } : {}),
    ...(list.metrics && list.metrics.flags.length > 0 ? { flags: candidates.flags } : {}),
    ...(list.metrics ? { condition: list.metrics.condition } : {}),
    order,
    limit: first + 1,
  };
  const candidatesRead = performance.now();
  const ranked = await rank(ctx, request);
  const rankedAt = performance.now();
  const ids = ranked.groups.flatMap((g) => g.runs.map((r) => r.runId));
  const rows = new Map<string, RunRow>();
  for (const row of ids.length > 0 ? await ctx.store.experiments.runsByIds(ids) : []) {
    if (!row) continue;
    rows.set(row.id, row);
    ctx.loaders.runs.prime(row.id, row);
  }
  const ms = (from: number, to: number) => Math.round((to - from) * 10) / 10;
  ctx.log.debug(
    {
      candidates: candidates.runIds.length,
      groups: groupCount,
      candidatesMs: ms(started, candidatesRead),
      rankMs: ms(candidatesRead, rankedAt),
      pageMs: ms(rankedAt, performance.now()),
    },
    'runs ranked by metrics',
  );
  return Array.from({ length: groupCount }, (_, i) => {
    const group = ranked.groups[i];
    if (!group) return empty();
    const page = empty();
    page.total = group.total;
    for (const { runId, value } of group.runs) {
      const row = rows.get(runId);
      if (!row) continue; // deleted since the candidates were read
      page.rows.push(row);
      page.values.set(runId, value);
    }
    return page;
  });
}

/** The connection of one ranked page. */
export function rankedConnection(page: RankedPage, list: RunList, first: number): Connection<RunRow> {
  const sortValue = list.metricOrder
    ? (row: RunRow) => page.values.get(row.id) ?? null
    : (row: RunRow) => sortValueOf(row[list.sort.field as 'startTime' | 'createdAt' | 'name']);
  return toConnection(page.rows, first, sortValue, () => Promise.resolve(page.total), list.cursor !== undefined);
}

/** A top-level list (Query.runs) filtered or ordered by metrics. */
export async function rankedRuns(ctx: RegistryContext, query: CandidateScope, list: RunList, first: number) {
  const [page] = await rankedPages(ctx, query, list, first);
  return rankedConnection(page as RankedPage, list, first);
}

const nestedLoaders = new WeakMap<RegistryContext, Map<string, DataLoader<string, RankedPage>>>();

/**
 * Experiment.runs filtered or ordered by metrics: one loader per distinct list
 * (`key`) in the request, so every experiment asking it shares the three calls.
 */
export function rankedRunsOf(ctx: RegistryContext, key: string, list: RunList, first: number): DataLoader<string, RankedPage> {
  let loaders = nestedLoaders.get(ctx);
  if (!loaders) {
    loaders = new Map();
    nestedLoaders.set(ctx, loaders);
  }
  let loader = loaders.get(key);
  if (!loader) {
    loader = new DataLoader((experimentIds: readonly string[]) =>
      rankedPages(ctx, { experimentIds, query: list.query }, list, first),
    );
    loaders.set(key, loader);
  }
  return loader;
}
