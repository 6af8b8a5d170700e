/**
 * The runs table's sort, as kept in the URL (`sort=name:asc`,
 * `sort=metric:min:val_loss:asc`, `sort=param:lr:desc`) and as the API's
 * RunOrder. Every column the API orders by sorts on the server: status, name,
 * author, start, duration, creation time, any param and any metric's last,
 * min or max; only selection, config and tags are not sortable.
 */
import type { MetricAggregate, RunOrder, RunOrderField, SortDirection } from '../../gql/graphql';

export type SortKey =
  | { kind: 'field'; field: RunOrderField }
  | { kind: 'metric'; name: string; aggregate: MetricAggregate }
  | { kind: 'param'; key: string };

export interface RunSort {
  key: SortKey;
  direction: SortDirection;
}

export const DEFAULT_SORT: RunSort = { key: { kind: 'field', field: 'CREATED_AT' }, direction: 'DESC' };

const FIELDS: Record<string, RunOrderField> = {
  name: 'NAME',
  start_time: 'START_TIME',
  created: 'CREATED_AT',
  status: 'STATUS',
  duration: 'DURATION',
  author: 'AUTHOR',
};
const AGGREGATES: MetricAggregate[] = ['LAST', 'MIN', 'MAX'];

/** The column id of a sort key (the same id the table's columns use). */
export function sortColumnId(key: SortKey): string {
  if (key.kind === 'metric') return `metric:${key.aggregate.toLowerCase()}:${key.name}`;
  if (key.kind === 'param') return `param:${key.key}`;
  return Object.entries(FIELDS).find(([, field]) => field === key.field)?.[0] ?? 'created';
}

/** The sort key of a column id, or null for a column the API cannot order by. */
export function sortKeyOf(columnId: string): SortKey | null {
  const field = Object.hasOwn(FIELDS, columnId) ? FIELDS[columnId] : undefined;
  if (field) return { kind: 'field', field };
  if (columnId.startsWith('param:') && columnId.length > 'param:'.length) return { kind: 'param', key: columnId.slice(6) };
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
  if (sort.key.kind === 'param') return { param: sort.key.key, direction: sort.direction };
  return { field: sort.key.field, direction: sort.direction };
}

/** Clicking a column: the same column flips direction; another starts ascending for names, statuses and authors, else descending. */
export function nextSort(current: RunSort, columnId: string): RunSort | null {
  const key = sortKeyOf(columnId);
  if (!key) return null;
  if (sortColumnId(current.key) === columnId) return { key, direction: current.direction === 'ASC' ? 'DESC' : 'ASC' };
  const ascending = key.kind === 'field' && (key.field === 'NAME' || key.field === 'STATUS' || key.field === 'AUTHOR');
  return { key, direction: ascending ? 'ASC' : 'DESC' };
}

export { AGGREGATES };
