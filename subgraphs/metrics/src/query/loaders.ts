/**
 * Per request: read access (the registry's _ownership, batched) and the
 * metric reads, batched so that a request asking for many runs makes ONE
 * ClickHouse query per field kind: all Run.metrics in one, all Run.metricNames
 * in one, all Experiment.metricNames in one, all series with the same (name,
 * maxPoints, from, to, fromStep, toStep) in one, all Experiment.metricSummary
 * with the same name in one. compareRuns is one query per call (compare).
 */
import type { RegistryAccess } from '@lab/shared/internal';
import DataLoader from 'dataloader';
import type { QueryStore } from '../store/queryStore';
import type { ExperimentSummaryRow, MetricSummaryRow, SeriesParams, SeriesRow, SeriesWindow } from '../store/types';

export interface SeriesKey extends SeriesParams {
  runId: string;
}

export interface MetricsLoaders {
  access: RegistryAccess;
  summaries: DataLoader<string, MetricSummaryRow[]>;
  series: DataLoader<SeriesKey, SeriesRow | null, string>;
  experimentSummary: DataLoader<{ experimentId: string; name: string }, ExperimentSummaryRow | null, string>;
  /** The metric names a run logged, sorted. */
  metricNames: DataLoader<string, string[]>;
  /** The metric names an experiment's runs logged, sorted. */
  experimentMetricNames: DataLoader<string, string[]>;
  /** Several metrics of several runs on one grid per metric: one query per call (not batched across calls). */
  compare(runIds: readonly string[], names: readonly string[], window: SeriesWindow): Promise<SeriesRow[]>;
}

const lower = (id: string) => id.toLowerCase();
const paramsKey = (p: SeriesParams) =>
  JSON.stringify([p.name, p.maxPoints, p.fromMs ?? null, p.toMs ?? null, p.fromStep ?? null, p.toStep ?? null]);

/** Groups keys by a parameter key, preserving the answer order. */
function groupBy<K>(keys: readonly K[], by: (k: K) => string): Map<string, number[]> {
  const groups = new Map<string, number[]>();
  keys.forEach((k, i) => {
    const g = by(k);
    const list = groups.get(g);
    if (list) list.push(i);
    else groups.set(g, [i]);
  });
  return groups;
}

export function createMetricsLoaders(store: QueryStore, access: RegistryAccess): MetricsLoaders {
  const summaries = new DataLoader<string, MetricSummaryRow[]>(
    async (runIds) => {
      const rows = await store.summaries([...new Set(runIds.map(lower))]);
      const byRun = new Map<string, MetricSummaryRow[]>();
      for (const r of rows) {
        const list = byRun.get(r.runId);
        if (list) list.push(r);
        else byRun.set(r.runId, [r]);
      }
      return runIds.map((id) => byRun.get(lower(id)) ?? []);
    },
    { cacheKeyFn: lower, maxBatchSize: 1000 },
  );

  const series = new DataLoader<SeriesKey, SeriesRow | null, string>(
    async (keys) => {
      const out: (SeriesRow | null)[] = keys.map(() => null);
      await Promise.all(
        [...groupBy(keys, paramsKey).values()].map(async (indexes) => {
          const first = keys[indexes[0] as number] as SeriesKey;
          const runIds = [...new Set(indexes.map((i) => lower((keys[i] as SeriesKey).runId)))];
          const rows = await store.series(runIds, first);
          const byRun = new Map(rows.map((r) => [r.runId, r]));
          for (const i of indexes) out[i] = byRun.get(lower((keys[i] as SeriesKey).runId)) ?? null;
        }),
      );
      return out;
    },
    { cacheKeyFn: (k) => `${lower(k.runId)}:${paramsKey(k)}`, maxBatchSize: 1000 },
  );

  const experimentSummary = new DataLoader<{ experimentId: string; name: string }, ExperimentSummaryRow | null, string>(
    async (keys) => {
      const out: (ExperimentSummaryRow | null)[] = keys.map(() => null);
      await Promise.all(
        [...groupBy(keys, (k) => k.name).values()].map(async (indexes) => {
          const name = (keys[indexes[0] as number] as { name: string }).name;
          const ids = [...new Set(indexes.map((i) => lower((keys[i] as { experimentId: string }).experimentId)))];
          const rows = await store.experimentSummaries(ids, name);
          const byId = new Map(rows.map((r) => [r.experimentId, r]));
          for (const i of indexes) out[i] = byId.get(lower((keys[i] as { experimentId: string }).experimentId)) ?? null;
        }),
      );
      return out;
    },
    { cacheKeyFn: (k) => `${lower(k.experimentId)}:${k.name}`, maxBatchSize: 1000 },
  );

  /** A loader of sorted name lists by id, answered by one store call per batch. */
  const namesBy = (load: (ids: string[]) => Promise<{ id: string; names: string[] }[]>) =>
    new DataLoader<string, string[]>(
      async (ids) => {
        const byId = new Map((await load([...new Set(ids.map(lower))])).map((r) => [r.id, r.names]));
        return ids.map((id) => byId.get(lower(id)) ?? []);
      },
      { cacheKeyFn: lower, maxBatchSize: 1000 },
    );
  const metricNames = namesBy(async (ids) => (await store.metricNames(ids)).map((r) => ({ id: r.runId, names: r.names })));
  const experimentMetricNames = namesBy(async (ids) =>
    (await store.experimentMetricNames(ids)).map((r) => ({ id: r.experimentId, names: r.names })),
  );

  return {
    access,
    summaries,
    series,
    experimentSummary,
    metricNames,
    experimentMetricNames,
    compare: (runIds, names, window) => store.compare([...new Set(runIds.map(lower))], names, window),
  };
}
