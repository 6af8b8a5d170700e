/**
 * The metrics routes the registry calls (METRICS_INTERNAL in @lab/shared's
 * internalApi.ts), mounted with internalRoute: POST, JSON, signed by the
 * registry for the route and the exact body; a refused body is a 400
 * BAD_USER_INPUT, a ClickHouse failure a 503 the caller retries.
 *  - delete: every point of an experiment (the saga deleting it) or of up to
 *    10,000 runs (the reconciler, for runs the registry no longer has);
 *    answers how many points there were. Synchronous and idempotent
 *    (RunPointsStore.delete). The deletion is announced first (onDelete):
 *    live streams on those runs end with NOT_FOUND, even while ClickHouse
 *    is down and the delete is retried.
 *  - runs: the runs having points, by run id, a page at a time: the
 *    reconciler's inventory to compare with the registry's runs.
 *  - rank: candidate runs of a registry list filtered and ordered by their
 *    metric summaries, a page per group (RunRankingStore.rank; the body is
 *    checked by rankRequest.ts). A read: nothing changes.
 *  - summaries (METRIC_SUMMARIES_PATH): last, min and max of some metrics of
 *    many runs, for the registry's runs CSV (export/summariesRoute.ts).
 */
import type { Logger } from '@lab/shared';
import {
  type DeleteMetricsRequest,
  type DeleteMetricsResult,
  INTERNAL_API_SENDER,
  internalRoute,
  type ListMetricRunsResult,
  METRICS_INTERNAL,
  type RankRunsRequest,
  type RankRunsResult,
} from '@lab/shared/internal';
import { METRIC_SUMMARIES_PATH } from '@lab/shared/topology';
import type { Express } from 'express';
import { MAX_SUMMARIES_BODY_BYTES, parseSummariesRequest, summariesHandler } from '../export/summariesRoute';
import { isUuid } from '../ingest/validate';
import type { ExportStore } from '../store/exportStore';
import type { RunPointsStore } from '../store/runPointsStore';
import type { RunRankingStore } from '../store/runRankingStore';
import { parseRankRuns } from './rankRequest';

/** Most run ids one delete takes. */
export const MAX_DELETE_RUNS = 10_000;
/** Runs per page of the runs route: the most, and when not asked. */
export const MAX_RUNS_PAGE = 10_000;
export const DEFAULT_RUNS_PAGE = 5_000;
/** Largest rank body: 100,000 run ids with their groups and flags. */
export const MAX_RANK_BODY_BYTES = 16 * 1024 * 1024;

export interface MetricsRoutesOptions {
  store: RunPointsStore;
  /** Answers the rank route (absent: not mounted). */
  ranking?: RunRankingStore;
  internalSecret: string;
  log: Logger;
  /** Answers the summaries route (export/summariesRoute.ts; absent: not mounted). */
  exports?: ExportStore;
  /** Told of each deletion before the points go (the stream hub ends the streams on them). */
  onDelete?: (scope: DeleteMetricsRequest) => void;
}

/** A runs request with its default limit applied. */
export interface RunsPage {
  after?: string;
  limit: number;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A delete body: exactly one of experimentId (a UUID) or runIds (1 to 10,000 UUIDs); else why not. */
export function parseDeleteMetrics(body: unknown): DeleteMetricsRequest | string {
  const usage = `body must be { experimentId: UUID } or { runIds: [1 to ${MAX_DELETE_RUNS} UUIDs] }`;
  if (!isObject(body)) return usage;
  const keys = Object.keys(body);
  if (keys.length !== 1) return usage;
  if (keys[0] === 'experimentId') {
    return isUuid(body.experimentId) ? { experimentId: body.experimentId } : 'experimentId must be a UUID';
  }
  const runIds = body.runIds;
  if (keys[0] !== 'runIds' || !Array.isArray(runIds)) return usage;
  if (runIds.length === 0 || runIds.length > MAX_DELETE_RUNS) return `runIds must hold 1 to ${MAX_DELETE_RUNS} run ids`;
  const bad = runIds.findIndex((id) => !isUuid(id));
  if (bad >= 0) return `runIds[${bad}] must be a UUID`;
  return { runIds: runIds as string[] };
}

/** A runs body: optional after (a run id) and limit (1 to 10,000); else why not. */
export function parseListMetricRuns(body: unknown): RunsPage | string {
  if (!isObject(body)) return 'body must be an object { after?: UUID, limit?: number }';
  const unknown = Object.keys(body).find((k) => k !== 'after' && k !== 'limit');
  if (unknown !== undefined) return `unknown field ${unknown}`;
  const { after, limit = DEFAULT_RUNS_PAGE } = body;
  if (after !== undefined && !isUuid(after)) return 'after must be a run id (UUID)';
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_RUNS_PAGE) {
    return `limit must be an integer from 1 to ${MAX_RUNS_PAGE}`;
  }
  return after === undefined ? { limit } : { after, limit };
}

/** Mounts METRICS_INTERNAL.delete, METRICS_INTERNAL.runs and METRICS_INTERNAL.rank on the subgraph's app. */
export function mountMetricsRoutes(app: Express, options: MetricsRoutesOptions): void {
  const { store, internalSecret, log } = options;
  const route = { internalSecret, sender: INTERNAL_API_SENDER, log };
  internalRoute<DeleteMetricsRequest, DeleteMetricsResult>(app, METRICS_INTERNAL.delete, {
    ...route,
    parse: parseDeleteMetrics,
    handle: async (scope, context) => {
      options.onDelete?.(scope);
      const started = performance.now();
      const deleted = await store.delete(scope);
      const what = 'experimentId' in scope ? { experimentId: scope.experimentId } : { runs: scope.runIds.length };
      const ms = Math.round(performance.now() - started);
      log.info({ requestId: context.requestId, ...what, deleted, ms }, 'metric points deleted');
      return { deleted };
    },
  });
  internalRoute<RunsPage, ListMetricRunsResult>(app, METRICS_INTERNAL.runs, {
    ...route,
    parse: parseListMetricRuns,
    handle: async ({ after, limit }) => {
      const runs = await store.runs(after, limit);
      return { runs, next: runs.length === limit ? (runs.at(-1)?.runId ?? null) : null };
    },
  });
  if (options.exports) {
    internalRoute(app, METRIC_SUMMARIES_PATH, {
      ...route,
      limitBytes: MAX_SUMMARIES_BODY_BYTES,
      parse: parseSummariesRequest,
      handle: summariesHandler(options.exports),
    });
  }
  const ranking = options.ranking;
  if (ranking) {
    internalRoute<RankRunsRequest, RankRunsResult>(app, METRICS_INTERNAL.rank, {
      ...route,
      limitBytes: MAX_RANK_BODY_BYTES,
      parse: parseRankRuns,
      handle: async (request, context) => {
        const started = performance.now();
        const result = await ranking.rank(request);
        const ms = Math.round((performance.now() - started) * 10) / 10;
        log.debug({ requestId: context.requestId, runs: request.runIds.length, ms }, 'runs ranked');
        return result;
      },
    });
  }
}
