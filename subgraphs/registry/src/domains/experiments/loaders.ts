import DataLoader from 'dataloader';
import type { KeysetCursor, NestedRunQuery, RunSort, SortedRun } from '../../store/experimentsStore';
import type { RegistryStore } from '../../store/registryStore';

/** The arguments of one nested run list, the same for every parent experiment it is asked of. */
export interface RunPageArgs {
  query: NestedRunQuery;
  sort: RunSort;
  cursor: KeysetCursor | undefined;
  first: number;
}

/** One DataLoader per distinct key (a list's arguments), made on first use in the request. */
function perKey<V>() {
  const loaders = new Map<string, DataLoader<string, V>>();
  return (key: string, batch: (ids: readonly string[]) => Promise<V[]>): DataLoader<string, V> => {
    let loader = loaders.get(key);
    if (!loader) {
      loader = new DataLoader(batch);
      loaders.set(key, loader);
    }
    return loader;
  };
}

export function experimentsLoaders(store: RegistryStore) {
  const pages = perKey<SortedRun[]>();
  const counts = perKey<number>();
  return {
    /** Experiments by id (no access check: callers check the project). */
    experiments: new DataLoader((ids: readonly string[]) => store.experiments.experimentsByIds(ids)),
    /** Runs by id, with their project (no access check: callers check the project). */
    runs: new DataLoader((ids: readonly string[]) => store.experiments.runsByIds(ids)),
    /**
     * Up to first+1 runs of each experiment for one set of list arguments
     * (`key` identifies them): every parent in one query.
     */
    runPages: (key: string, args: RunPageArgs): DataLoader<string, SortedRun[]> =>
      pages(key, (ids) => store.experiments.runPagesOfExperiments(ids, args.query, args.sort, args.cursor, args.first)),
    /** Run counts per experiment for one filter (`key` identifies it): one GROUP BY for every parent. */
    runCounts: (key: string, query: NestedRunQuery): DataLoader<string, number> =>
      counts(key, (ids) => store.experiments.runCountsOfExperiments(ids, query)),
  };
}
