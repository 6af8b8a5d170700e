/**
 * POST /internal/metrics/summaries (METRIC_SUMMARIES_PATH), mounted with the
 * other internal routes (internal/metricsRoutes.ts): the last, min and max of
 * some metrics for many runs in one ClickHouse query, for the registry's runs
 * CSV. The registry has checked the caller's access to the runs.
 */
import { MAX_SUMMARY_METRICS, MAX_SUMMARY_RUNS, type MetricSummariesRequest, type MetricSummariesResult } from '@lab/shared';
import { isUuid, METRIC_NAME } from '../ingest/validate';
import type { ExportStore } from '../store/exportStore';

/** 100,000 run ids as JSON with room to spare. */
export const MAX_SUMMARIES_BODY_BYTES = 8 * 1024 * 1024;

/** A summaries body, or why not. */
export function parseSummariesRequest(body: unknown): MetricSummariesRequest | string {
  const usage = `body must be { runIds: [up to ${MAX_SUMMARY_RUNS} UUIDs], names: [up to ${MAX_SUMMARY_METRICS} metric names] }`;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return usage;
  const { runIds, names } = body as Record<string, unknown>;
  if (!Array.isArray(runIds) || !Array.isArray(names) || Object.keys(body).length !== 2) return usage;
  if (runIds.length > MAX_SUMMARY_RUNS || names.length > MAX_SUMMARY_METRICS) return usage;
  const badRun = runIds.findIndex((id) => !isUuid(id));
  if (badRun >= 0) return `runIds[${badRun}] must be a UUID`;
  const badName = names.findIndex((n) => typeof n !== 'string' || !METRIC_NAME.test(n));
  if (badName >= 0) return `names[${badName}] is not a metric name`;
  return { runIds: runIds as string[], names: names as string[] };
}

/** Answers a checked body from the store (one ClickHouse query). */
export function summariesHandler(store: ExportStore): (request: MetricSummariesRequest) => Promise<MetricSummariesResult> {
  return async ({ runIds, names }) => ({ summaries: await store.summaries(runIds, names) });
}
