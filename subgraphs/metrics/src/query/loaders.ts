/**
 * Per request: read access (the registry's _canAccess, batched) and the
 * metric reads, batched so that a request asking for many runs makes ONE
 * ClickHouse query per field kind: all Run.metrics in one, all series with
 * the same (name, maxPoints, from, to) in one, all Experiment.metricSummary
 * with the same name in one.
 */
import type { RegistryAccess } from '@lab/shared';
import DataLoader from 'dataloader';
import type { ExperimentSummaryRow, MetricSummaryRow, QueryStore, SeriesParams, SeriesRow } from '../store/queryStore';

export interface SeriesKey extends SeriesParams {
  runId: string;
}

export interface MetricsLoaders {
  access: RegistryAccess;
  summaries: DataLoader<string, MetricSummaryRow[]>;
  series: DataLoader<SeriesKey, SeriesRow | null, string>;
  experimentSummary: DataLoader<{ experimentId: string; name: string }, ExperimentSummaryRow | null, string>;
}

const lower = (id: string) => id.toLowerCase();
const paramsKey = (p: SeriesParams) => JSON.stringify([p.name, p.maxPoints, p.fromMs ?? null, p.toMs ?? null]);

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

  return { access, summaries, series, experimentSummary };
}
