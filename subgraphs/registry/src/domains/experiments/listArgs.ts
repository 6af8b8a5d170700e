/**
 * The arguments of the experiment and run lists, checked and turned into
 * store queries: filters, orders (a registry column, or a metric), cursors
 * and the run search language, planned between PostgreSQL and the metrics
 * service. Each refusal is BAD_USER_INPUT naming the argument.
 */
import { labError } from '@lab/shared';
import { MAX_RANK_METRICS, type MetricRef } from '@lab/shared/internal';
import { type Cursor, type Direction, decodeCursor } from '../../common/pagination';
import { checkJsonObject, checkStringMap, isUuid } from '../../common/validation';
import { METRIC_NAME, planRunSearch, type RunSearchPlan } from '../../search';
import type {
  ExperimentQuery,
  ExperimentSortField,
  ExperimentStatus,
  NestedRunQuery,
  RunSort,
  RunSortField,
  RunStatus,
  Sort,
  TimeRange,
} from '../../store/experimentsStore';

const MAX_SEARCH_TEXT = 200;

export function bad(field: string, message: string): never {
  throw labError('BAD_USER_INPUT', `${field} ${message}`, { field });
}

export function filterId(field: string, value: string | null | undefined): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isUuid(value)) bad(field, `must be an id (got "${value.slice(0, 64)}")`);
  return value.toLowerCase();
}

function searchText(field: string, value: string | null | undefined): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (value.length > MAX_SEARCH_TEXT) bad(field, `must be at most ${MAX_SEARCH_TEXT} characters`);
  return value;
}

function range(field: string, value: TimeRange | null | undefined, from?: Date | null, to?: Date | null): TimeRange | undefined {
  const out: TimeRange = { from: from ?? value?.from ?? null, to: to ?? value?.to ?? null };
  if (!out.from && !out.to) return undefined;
  if (out.from && out.to && out.from > out.to) bad(field, 'must not end before it starts');
  return out;
}

function statuses<T extends string>(value: T[] | null | undefined): T[] | undefined {
  return value && value.length > 0 ? [...new Set(value)] : undefined;
}

const DIRECTIONS: Direction[] = ['ASC', 'DESC'];

export interface OrderArg {
  field?: string | null;
  direction?: string | null;
  metric?: { name?: string | null; aggregate?: string | null } | null;
  param?: string | null;
}

export function sortOf<F extends string>(order: OrderArg | null | undefined, fields: Record<string, F>, fallback: F): Sort<F> {
  const field = order?.field ? fields[order.field] : fallback;
  const direction = (order?.direction ?? 'DESC') as Direction;
  if (!field || !DIRECTIONS.includes(direction)) bad('orderBy', 'is not a known order');
  return { field, direction };
}

export const EXPERIMENT_ORDER: Record<string, ExperimentSortField> = {
  CREATED_AT: 'createdAt',
  UPDATED_AT: 'updatedAt',
  NAME: 'name',
};
export const RUN_ORDER: Record<string, RunSortField> = {
  START_TIME: 'startTime',
  CREATED_AT: 'createdAt',
  NAME: 'name',
  STATUS: 'status',
  DURATION: 'duration',
  AUTHOR: 'author',
};
const MAX_PARAM_KEY = 200;
/** The orders a search naming metrics can keep (the ranked candidates are ordered by a run column). */
const RUN_COLUMN_ORDERS = new Set<RunSortField>(['startTime', 'createdAt', 'name']);

/** A registry order: a RunOrderField, or a param's value. */
function runSortOf(order: OrderArg | null | undefined): RunSort {
  const param = order?.param;
  if (param === undefined || param === null) return sortOf(order, RUN_ORDER, 'createdAt');
  if (param === '' || param.length > MAX_PARAM_KEY)
    bad('orderBy.param', `must be a param key of 1 to ${MAX_PARAM_KEY} characters`);
  return { ...sortOf({ direction: order?.direction }, RUN_ORDER, 'createdAt'), field: 'param', param };
}

export interface ExperimentFilterArg {
  projectId?: string | null;
  status?: ExperimentStatus[] | null;
  tags?: unknown;
  nameSearch?: string | null;
  created?: TimeRange | null;
  createdAfter?: Date | null;
  createdBefore?: Date | null;
  configContains?: unknown;
}

export interface RunFilterArg {
  experimentId?: string | null;
  projectId?: string | null;
  status?: RunStatus[] | null;
  tags?: unknown;
  paramsContains?: unknown;
  nameSearch?: string | null;
  started?: TimeRange | null;
}

export interface ListArgs<F> {
  filter?: F | null;
  search?: string | null;
  first?: number | null;
  after?: string | null;
  orderBy?: OrderArg | null;
}

export function experimentQuery(filter: ExperimentFilterArg | null | undefined, projects: string[] | 'all'): ExperimentQuery {
  const f = filter ?? {};
  return {
    projects,
    projectId: filterId('filter.projectId', f.projectId),
    status: statuses(f.status),
    tags: checkStringMap('filter.tags', f.tags),
    nameSearch: searchText('filter.nameSearch', f.nameSearch),
    created: range('filter.created', f.created, f.createdAfter, f.createdBefore),
    configContains: checkJsonObject('filter.configContains', f.configContains),
  };
}

/** A run list's arguments, checked: its SQL conditions, and what the metrics service must answer, if anything. */
export interface RunList {
  query: NestedRunQuery;
  sort: RunSort;
  /** The metric order, when orderBy names a metric. */
  metricOrder?: { metric: MetricRef; direction: Direction };
  /** The search's metric condition and flags, when it names metrics. */
  metrics?: RunSearchPlan['metrics'];
  cursor: Cursor | undefined;
}

function metricOrderOf(order: OrderArg | null | undefined): RunList['metricOrder'] {
  const metric = order?.metric;
  if (!metric) return undefined;
  const name = metric.name ?? '';
  if (!METRIC_NAME.test(name)) {
    bad('orderBy.metric.name', 'must be a metric name: 1 to 200 letters, digits and _ . / -, starting with a letter, digit or _');
  }
  const aggregate = (metric.aggregate ?? 'LAST').toLowerCase();
  if (aggregate !== 'last' && aggregate !== 'min' && aggregate !== 'max')
    bad('orderBy.metric.aggregate', 'is not LAST, MIN or MAX');
  const direction = (order?.direction ?? 'DESC') as Direction;
  if (!DIRECTIONS.includes(direction)) bad('orderBy.direction', 'is not ASC or DESC');
  return { metric: { name, aggregate }, direction };
}

/** Distinct metric names of a condition and an order: at most what the metrics service takes in one query. */
function checkMetricCount(list: RunList): void {
  const names = new Set<string>();
  const walk = (c: unknown): void => {
    const node = c as { metric?: MetricRef; operands?: unknown[]; operand?: unknown };
    if (node.metric) names.add(node.metric.name);
    node.operands?.forEach(walk);
    if (node.operand) walk(node.operand);
  };
  if (list.metrics) walk(list.metrics.condition);
  if (list.metricOrder) names.add(list.metricOrder.metric.name);
  if (names.size > MAX_RANK_METRICS) {
    bad('orderBy.metric', `and search name ${names.size} different metrics; at most ${MAX_RANK_METRICS} are allowed`);
  }
}

/** The cursor of a list: a metric order's value is a number or null; the store checks a registry order's. */
function cursorOf(after: string | null | undefined, metricOrder: boolean): Cursor | undefined {
  const cursor = decodeCursor(after);
  if (cursor && metricOrder && !(cursor.v === null || typeof cursor.v === 'number')) {
    throw labError('BAD_USER_INPUT', 'after is not a cursor this list gave out', { argument: 'after' });
  }
  return cursor;
}

export function runList(filter: RunFilterArg | null | undefined, args: ListArgs<unknown>): RunList {
  const f = filter ?? {};
  const search = args.search && args.search.trim() !== '' ? planRunSearch(args.search, { alias: 'r' }) : undefined;
  const metricOrder = metricOrderOf(args.orderBy);
  if (metricOrder && args.orderBy?.param != null) bad('orderBy', 'names both a metric and a param; choose one');
  const list: RunList = {
    query: {
      status: statuses(f.status),
      tags: checkStringMap('filter.tags', f.tags),
      paramsContains: checkJsonObject('filter.paramsContains', f.paramsContains),
      nameSearch: searchText('filter.nameSearch', f.nameSearch),
      started: range('filter.started', f.started),
      search: search?.where,
    },
    sort: runSortOf(metricOrder ? null : args.orderBy),
    cursor: cursorOf(args.after, metricOrder !== undefined),
    ...(metricOrder ? { metricOrder } : {}),
    ...(search?.metrics ? { metrics: search.metrics } : {}),
  };
  checkMetricCount(list);
  if (list.metrics && !RUN_COLUMN_ORDERS.has(list.sort.field)) {
    bad('orderBy', 'by status, duration, author or a param cannot be combined with a search naming metrics');
  }
  return list;
}
