/**
 * The body of METRICS_INTERNAL.rank, checked whole before any query: the
 * candidate runs with their groups and flags, the condition tree, the order
 * and the page size. Anything else is refused with the reason (a 400).
 */
import {
  MAX_RANK_LIMIT,
  MAX_RANK_METRICS,
  MAX_RANK_RUNS,
  type MetricRef,
  type RankCondition,
  type RankOrder,
  type RankRunsRequest,
} from '@lab/shared/internal';
import { isUuid, METRIC_NAME } from '../ingest/validate';
import { metricsOf } from '../store/rankQuery';

/** Most groups (parents of a nested list), flags per run, nodes and depth of a condition, values of an IN. */
export const RANK_LIMITS = { groups: 10_000, flags: 100, nodes: 1_000, depth: 64, inValues: 1_000 } as const;

const AGGREGATES = ['last', 'min', 'max'];
const COMPARISONS = ['=', '!=', '<', '<=', '>', '>='];
const KNOWN = new Set(['runIds', 'groups', 'flags', 'condition', 'order', 'limit']);

class Refusal extends Error {}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const refuse = (message: string): never => {
  throw new Refusal(message);
};
const isIndex = (v: unknown, below: number): v is number => Number.isInteger(v) && (v as number) >= 0 && (v as number) < below;

function metricRef(v: unknown, at: string): MetricRef {
  if (!isObject(v) || typeof v.name !== 'string' || !METRIC_NAME.test(v.name) || !AGGREGATES.includes(String(v.aggregate))) {
    refuse(`${at} must be { name: a metric name, aggregate: last | min | max }`);
  }
  const ref = v as { name: string; aggregate: MetricRef['aggregate'] };
  return { name: ref.name, aggregate: ref.aggregate };
}

function finite(v: unknown, at: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) refuse(`${at} must be a finite number`);
  return v as number;
}

class ConditionReader {
  private nodes = 0;

  constructor(private readonly flagCount: number) {}

  read(v: unknown, at: string, depth: number): RankCondition {
    this.nodes += 1;
    if (this.nodes > RANK_LIMITS.nodes) refuse(`condition has more than ${RANK_LIMITS.nodes} nodes`);
    if (depth > RANK_LIMITS.depth) refuse(`condition is nested more than ${RANK_LIMITS.depth} levels`);
    if (!isObject(v)) return refuse(`${at} must be an object`);
    switch (v.kind) {
      case 'compare':
        if (!COMPARISONS.includes(String(v.op))) refuse(`${at}.op must be one of ${COMPARISONS.join(' ')}`);
        return {
          kind: 'compare',
          metric: metricRef(v.metric, `${at}.metric`),
          op: v.op as '=',
          value: finite(v.value, `${at}.value`),
        };
      case 'in': {
        const values = v.values;
        if (!Array.isArray(values) || values.length === 0 || values.length > RANK_LIMITS.inValues) {
          refuse(`${at}.values must hold 1 to ${RANK_LIMITS.inValues} numbers`);
        }
        return {
          kind: 'in',
          metric: metricRef(v.metric, `${at}.metric`),
          negate: v.negate === true,
          values: (values as unknown[]).map((x, i) => finite(x, `${at}.values[${i}]`)),
        };
      }
      case 'null':
        return { kind: 'null', metric: metricRef(v.metric, `${at}.metric`), negate: v.negate === true };
      case 'flag':
        if (!isIndex(v.index, this.flagCount)) refuse(`${at}.index must name one of the ${this.flagCount} flags`);
        return { kind: 'flag', index: v.index as number };
      case 'and':
      case 'or': {
        const operands = v.operands;
        if (!Array.isArray(operands) || operands.length === 0) refuse(`${at}.operands must be a non-empty list`);
        return { kind: v.kind, operands: (operands as unknown[]).map((o, i) => this.read(o, `${at}.operands[${i}]`, depth + 1)) };
      }
      case 'not':
        return { kind: 'not', operand: this.read(v.operand, `${at}.operand`, depth + 1) };
      default:
        return refuse(`${at}.kind must be compare, in, null, flag, and, or or not`);
    }
  }
}

function order(v: unknown, runs: number, groupCount: number): RankOrder {
  if (!isObject(v)) return refuse('order must be an object');
  if (v.kind === 'metric') {
    if (v.direction !== 'ASC' && v.direction !== 'DESC') refuse('order.direction must be ASC or DESC');
    const out: RankOrder = { kind: 'metric', metric: metricRef(v.metric, 'order.metric'), direction: v.direction as 'ASC' };
    if (v.after !== undefined) {
      const after = v.after;
      if (!isObject(after) || typeof after.runId !== 'string' || !isUuid(after.runId)) {
        refuse('order.after must be { value: number | null, runId: UUID }');
      }
      const cursor = after as { value: unknown; runId: string };
      out.after = { value: cursor.value === null ? null : finite(cursor.value, 'order.after.value'), runId: cursor.runId };
    }
    return out;
  }
  if (v.kind !== 'given') return refuse('order.kind must be metric or given');
  if (v.firstAfter === undefined) return { kind: 'given' };
  const firstAfter = v.firstAfter;
  if (!Array.isArray(firstAfter) || firstAfter.length !== groupCount || !firstAfter.every((i) => isIndex(i, runs + 1))) {
    refuse(`order.firstAfter must hold one run index (0 to ${runs}) per group`);
  }
  return { kind: 'given', firstAfter: firstAfter as number[] };
}

function read(body: unknown): RankRunsRequest {
  if (!isObject(body)) return refuse('body must be an object');
  const unknown = Object.keys(body).find((k) => !KNOWN.has(k));
  if (unknown !== undefined) refuse(`unknown field ${unknown}`);
  const { runIds, groups, flags, limit } = body;
  if (!Array.isArray(runIds) || runIds.length === 0 || runIds.length > MAX_RANK_RUNS) {
    refuse(`runIds must hold 1 to ${MAX_RANK_RUNS} run ids`);
  }
  const ids = runIds as unknown[];
  const badId = ids.findIndex((id) => !isUuid(id));
  if (badId >= 0) refuse(`runIds[${badId}] must be a UUID`);
  const request: RankRunsRequest = { runIds: ids as string[], order: { kind: 'given' }, limit: 0 };
  let groupCount = 1;
  if (groups !== undefined) {
    if (!Array.isArray(groups) || groups.length !== ids.length || !groups.every((g) => isIndex(g, RANK_LIMITS.groups))) {
      refuse(`groups must hold one group number (0 to ${RANK_LIMITS.groups - 1}) per run`);
    }
    request.groups = groups as number[];
    groupCount = (groups as number[]).reduce((a, b) => Math.max(a, b), 0) + 1;
  }
  let flagCount = 0;
  if (flags !== undefined) {
    flagCount = typeof (flags as unknown[] | undefined)?.[0] === 'string' ? ((flags as string[])[0] as string).length : -1;
    const shape = new RegExp(`^[01]{${Math.max(flagCount, 0)}}$`);
    const ok =
      Array.isArray(flags) &&
      flags.length === ids.length &&
      flagCount >= 1 &&
      flagCount <= RANK_LIMITS.flags &&
      flags.every((f) => typeof f === 'string' && shape.test(f));
    if (!ok) refuse(`flags must hold, per run, the same number (1 to ${RANK_LIMITS.flags}) of 0/1 characters`);
    request.flags = flags as string[];
  }
  if (body.condition !== undefined) request.condition = new ConditionReader(flagCount).read(body.condition, 'condition', 0);
  request.order = order(body.order, ids.length, groupCount);
  if (!Number.isInteger(limit) || (limit as number) < 1 || (limit as number) > MAX_RANK_LIMIT) {
    refuse(`limit must be an integer from 1 to ${MAX_RANK_LIMIT}`);
  }
  request.limit = limit as number;
  const names = new Set(metricsOf(request).map((m) => m.name));
  if (names.size === 0) refuse('the condition or the order must name a metric');
  if (names.size > MAX_RANK_METRICS) refuse(`at most ${MAX_RANK_METRICS} metric names (got ${names.size})`);
  return request;
}

/** The request, or why it is refused. */
export function parseRankRuns(body: unknown): RankRunsRequest | string {
  try {
    return read(body);
  } catch (err) {
    if (err instanceof Refusal) return err.message;
    throw err;
  }
}
