/**
 * The runs table's sort, as kept in the URL (`sort=name:asc`,
 * `sort=metric:min:val_loss:asc`) and as the API's RunOrder. Only orders the
 * API answers are offered: name, start time, creation time and any metric's
 * last, min or max; the table's other columns are not sortable.
 */
import type { MetricAggregate, RunOrder, SortDirection } from '../../gql/graphql';

export type SortKey =
  | { kind: 'field'; field: 'NAME' | 'START_TIME' | 'CREATED_AT' }
  | { kind: 'metric'; name: string; aggregate: MetricAggregate };

export interface RunSort {
  key: SortKey;
  direction: SortDirection;
}

export const DEFAULT_SORT: RunSort = { key: { kind: 'field', field: 'CREATED_AT' }, direction: 'DESC' };

const FIELDS = { name: 'NAME', start_time: 'START_TIME', created: 'CREATED_AT' } as const;
const AGGREGATES: MetricAggregate[] = ['LAST', 'MIN', 'MAX'];

/** The column id of a sort key (the same id the table's columns use). */
export function sortColumnId(key: SortKey): string {
  if (key.kind === 'metric') return `metric:${key.aggregate.toLowerCase()}:${key.name}`;
  return Object.entries(FIELDS).find(([, field]) => field === key.field)?.[0] ?? 'created';
}

/** The sort key of a column id, or null for a column the API cannot order by. */
export function sortKeyOf(columnId: string): SortKey | null {
  if (columnId in FIELDS) return { kind: 'field', field: FIELDS[columnId as keyof typeof FIELDS] };
  const m = /^metric:(last|min|max):(.+)$/.exec(columnId);
  if (m) return { kind: 'metric', name: m[2] as string, aggregate: m[1]?.toUpperCase() as MetricAggregate };
  return null;
}

export function formatSort(sort: RunSort): string {
  return `${sortColumnId(sort.key)}:${sort.direction.toLowerCase()}`;
}

export function parseSort(text: string | null): RunSort {
  if (!text) return DEFAULT_SORT;
  const m = /^(.+):(asc|desc)$/.exec(text);
  const key = m && sortKeyOf(m[1] as string);
  if (!m || !key) return DEFAULT_SORT;
  return { key, direction: m[2] === 'asc' ? 'ASC' : 'DESC' };
}

export function toRunOrder(sort: RunSort): RunOrder {
  if (sort.key.kind === 'metric') {
    return { metric: { name: sort.key.name, aggregate: sort.key.aggregate }, direction: sort.direction };
  }
  return { field: sort.key.field, direction: sort.direction };
}

/** Clicking a column: the same column flips direction; another starts descending for metrics and times, ascending for names. */
export function nextSort(current: RunSort, columnId: string): RunSort | null {
  const key = sortKeyOf(columnId);
  if (!key) return null;
  if (sortColumnId(current.key) === columnId) return { key, direction: current.direction === 'ASC' ? 'DESC' : 'ASC' };
  return { key, direction: key.kind === 'field' && key.field === 'NAME' ? 'ASC' : 'DESC' };
}

export { AGGREGATES };
