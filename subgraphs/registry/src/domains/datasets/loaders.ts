import DataLoader from 'dataloader';
import { decodeCursor } from '../../common/pagination';
import type { DatasetVersion } from '../../store/datasetsStore';
import type { RegistryStore } from '../../store/registryStore';

export interface DatasetVersionPageKey {
  datasetId: string;
  /** Rows to fetch: page size + 1. */
  limit: number;
  after: string | null;
}

export interface DatasetVersionLabelKey {
  datasetId: string;
  label: string;
}

/** Pages of several datasets' versions: one query per distinct (limit, after) in the batch. */
async function versionPages(store: RegistryStore, keys: readonly DatasetVersionPageKey[]): Promise<DatasetVersion[][]> {
  const groups = new Map<string, DatasetVersionPageKey[]>();
  for (const key of keys) {
    const group = `${key.limit}\n${key.after ?? ''}`;
    groups.set(group, [...(groups.get(group) ?? []), key]);
  }
  const pages = new Map<DatasetVersionPageKey, DatasetVersion[]>();
  await Promise.all(
    [...groups.values()].map(async (group) => {
      const { limit, after } = group[0]!;
      const result = await store.datasets.versionPages(
        group.map((k) => k.datasetId),
        decodeCursor(after),
        limit,
      );
      for (const [i, key] of group.entries()) pages.set(key, result[i] ?? []);
    }),
  );
  return keys.map((key) => pages.get(key) ?? []);
}

export function datasetsLoaders(store: RegistryStore) {
  return {
    /** Datasets by id. */
    datasets: new DataLoader((ids: readonly string[]) => store.datasets.datasets.byIds(ids)),
    /** Dataset versions by id. */
    datasetVersions: new DataLoader((ids: readonly string[]) => store.datasets.versionsByIds(ids)),
    /** Dataset versions by (dataset id, label). */
    datasetVersionsByLabel: new DataLoader((keys: readonly DatasetVersionLabelKey[]) => store.datasets.versionsByLabel(keys), {
      cacheKeyFn: (k) => `${k.datasetId.toLowerCase()}\n${k.label}`,
    }),
    /** A page of each dataset's versions, newest first. */
    datasetVersionPages: new DataLoader((keys: readonly DatasetVersionPageKey[]) => versionPages(store, keys), {
      cacheKeyFn: (k) => `${k.datasetId.toLowerCase()}\n${k.limit}\n${k.after ?? ''}`,
    }),
    /** How many versions each dataset has. */
    datasetVersionCounts: new DataLoader((ids: readonly string[]) => store.datasets.countVersions(ids)),
    /** Lineage rows of each run (the dataset versions it read). */
    runInputsByRun: new DataLoader((runIds: readonly string[]) => store.datasets.lineage('run', runIds)),
    /** Lineage rows of each dataset version (the runs that read it). */
    runInputsByDatasetVersion: new DataLoader((ids: readonly string[]) => store.datasets.lineage('datasetVersion', ids)),
  };
}
