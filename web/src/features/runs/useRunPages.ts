/**
 * The runs of an experiment for the table, fetched page by page through the
 * connection's cursors (the API's pages hold at most 100 runs): the first
 * page when the filter or the sort changes, the next ones as the table asks
 * for rows past what is loaded. A filter the API refuses comes back as
 * `filterError` (its message and 1-based column), not as rows.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { CombinedError } from 'urql';
import { useLabClient } from '../../app/session';
import { graphql } from '../../gql';
import type { RunOrder, RunsPageQuery } from '../../gql/graphql';

export const PAGE_SIZE = 100;

export const RunsPageQueryDoc = graphql(`
  query RunsPage($experimentId: ID!, $search: String, $first: Int!, $after: String, $orderBy: RunOrder) {
    experiment(id: $experimentId) {
      id
      runs(search: $search, first: $first, after: $after, orderBy: $orderBy) {
        totalCount
        pageInfo {
          hasNextPage
          endCursor
        }
        edges {
          node {
            id
            name
            status
            startTime
            duration
            params
            config
            tags
            createdBy {
              id
              name
              email
            }
            metrics {
              name
              last
              min
              max
            }
          }
        }
      }
    }
  }
`);

export type RunRow = RunsPageQuery['experiment']['runs']['edges'][number]['node'];

export interface FilterError {
  message: string;
  /** 1-based column of the filter where it fails. */
  position: number | null;
}

export interface RunPages {
  rows: RunRow[];
  totalCount: number | null;
  loading: boolean;
  error: CombinedError | null;
  filterError: FilterError | null;
  /** Asks for rows up to `index` (exclusive) to be loaded; pages come one after another. */
  loadThrough(index: number): void;
  /** performance.now() when the current filter/sort's first page arrived (for measurements). */
  firstPageAt: number | null;
}

/** The filter error of a GraphQL error, when the API refused the filter (extensions.filter.position). */
export function filterErrorOf(error: CombinedError): FilterError | null {
  const first = error.graphQLErrors[0];
  if (first?.extensions?.code !== 'BAD_USER_INPUT') return null;
  const details = first.extensions.filter as { position?: number } | undefined;
  if (!details && !/filter/i.test(first.message)) return null;
  return { message: first.message.split('\n')[0] ?? first.message, position: details?.position ?? null };
}

export function useRunPages(experimentId: string, search: string, orderBy: RunOrder): RunPages {
  const { urql } = useLabClient();
  const [state, setState] = useState<Omit<RunPages, 'loadThrough'>>({
    rows: [],
    totalCount: null,
    loading: true,
    error: null,
    filterError: null,
    firstPageAt: null,
  });
  const cursor = useRef<{ after: string | null; hasNext: boolean; inFlight: boolean; wanted: number; generation: number }>({
    after: null,
    hasNext: true,
    inFlight: false,
    wanted: PAGE_SIZE,
    generation: 0,
  });
  const orderKey = JSON.stringify(orderBy);

  const fetchNext = useCallback(async () => {
    const c = cursor.current;
    if (c.inFlight || !c.hasNext) return;
    c.inFlight = true;
    const generation = c.generation;
    const variables = {
      experimentId,
      search: search.trim() || null,
      first: PAGE_SIZE,
      after: c.after,
      orderBy: JSON.parse(orderKey) as RunOrder,
    };
    const result = await urql.query(RunsPageQueryDoc, variables, { requestPolicy: 'network-only' }).toPromise();
    if (generation !== cursor.current.generation) return; // the filter or sort changed meanwhile
    c.inFlight = false;
    if (result.error || !result.data) {
      c.hasNext = false;
      const error = result.error ?? null;
      setState((s) => ({ ...s, loading: false, error, filterError: error ? filterErrorOf(error) : null }));
      return;
    }
    const runs = result.data.experiment.runs;
    c.after = runs.pageInfo.endCursor ?? null;
    c.hasNext = runs.pageInfo.hasNextPage;
    setState((s) => ({
      rows: [...s.rows, ...runs.edges.map((edge) => edge.node)],
      totalCount: runs.totalCount,
      loading: false,
      error: null,
      filterError: null,
      firstPageAt: s.firstPageAt ?? performance.now(),
    }));
  }, [urql, experimentId, search, orderKey]);

  // A new filter or sort: start over from the first page.
  useEffect(() => {
    const c = cursor.current;
    c.generation += 1;
    c.after = null;
    c.hasNext = true;
    c.inFlight = false;
    c.wanted = PAGE_SIZE;
    setState((s) => ({ ...s, rows: [], loading: true, error: null, filterError: null, firstPageAt: null }));
    void fetchNext();
  }, [fetchNext]);

  // Keep loading while fewer rows than wanted are loaded.
  useEffect(() => {
    const c = cursor.current;
    if (!state.loading && state.rows.length < c.wanted && c.hasNext) void fetchNext();
  }, [state.rows.length, state.loading, fetchNext]);

  const loadThrough = useCallback(
    (index: number) => {
      const c = cursor.current;
      // Before the first page of a new filter or sort, the table still counts the old rows: wait for it.
      if (index <= c.wanted || c.after === null) return;
      c.wanted = index;
      void fetchNext();
    },
    [fetchNext],
  );

  return { ...state, loadThrough };
}
