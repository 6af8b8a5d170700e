/**
 * A run filter split between the two stores that answer it: PostgreSQL the
 * params, tags, config and attributes, the metrics service (ClickHouse) the
 * metric comparisons.
 *
 * A filter naming no metric compiles whole to SQL. Otherwise its top-level
 * AND terms are sorted:
 * - terms without a metric go to SQL as they are (exact);
 * - the other terms go to the metrics service as a condition tree, where
 *   each largest part without a metric becomes a flag: a boolean the
 *   registry computes per candidate run (in the same query that finds the
 *   candidates) and sends along;
 * - a term mixing both also narrows the candidates in SQL by its relaxation:
 *   a metric comparison counts as TRUE where it could add matches and FALSE
 *   under NOT, so the SQL keeps every run the term could match.
 * NOT stays the complement on both sides (a comparison with a missing metric
 * is false, never unknown), so `NOT metrics.loss < 1` matches runs without loss.
 */
import type { RankCondition } from '@lab/shared/internal';
import { Prisma } from '../generated/prisma/client';
import type { Comparison, FilterAst, FilterExpr } from './ast';
import { type CompileOptions, compileRunFilter } from './compiler';
import { parseRunFilter } from './parser';

export interface RunSearchPlan {
  /** The registry's WHERE fragment: exactly the filter when it names no metric, else every run that may match. */
  where: Prisma.Sql;
  /** The metric side, when the filter names metrics. */
  metrics?: {
    condition: RankCondition;
    /** The SQL of each flag the condition refers to, by index. */
    flags: Prisma.Sql[];
  };
}

function hasMetric(e: FilterExpr): boolean {
  switch (e.kind) {
    case 'and':
    case 'or':
      return e.operands.some(hasMetric);
    case 'not':
      return hasMetric(e.operand);
    default:
      return e.key.kind === 'metric';
  }
}

function onlyMetrics(e: FilterExpr): boolean {
  switch (e.kind) {
    case 'and':
    case 'or':
      return e.operands.every(onlyMetrics);
    case 'not':
      return onlyMetrics(e.operand);
    default:
      return e.key.kind === 'metric';
  }
}

type Relaxed = Prisma.Sql | boolean;

class Planner {
  readonly flags: Prisma.Sql[] = [];

  constructor(private readonly options: CompileOptions) {}

  sql(e: FilterExpr): Prisma.Sql {
    return compileRunFilter(e, this.options);
  }

  /** A superset (positive) or subset (negative) of the runs `e` matches, in SQL; a boolean when constant. */
  relax(e: FilterExpr, positive: boolean): Relaxed {
    switch (e.kind) {
      case 'and':
      case 'or': {
        const absorbing = e.kind === 'or';
        const parts: Prisma.Sql[] = [];
        for (const operand of e.operands) {
          const r = this.relax(operand, positive);
          if (r === absorbing) return absorbing;
          if (typeof r !== 'boolean') parts.push(r);
        }
        if (parts.length === 0) return !absorbing;
        if (parts.length === 1) return parts[0] as Prisma.Sql;
        return Prisma.sql`(${Prisma.join(parts, e.kind === 'and' ? ' AND ' : ' OR ')})`;
      }
      case 'not': {
        const r = this.relax(e.operand, !positive);
        return typeof r === 'boolean' ? !r : Prisma.sql`(${r} IS NOT TRUE)`;
      }
      default:
        return e.key.kind === 'metric' ? positive : this.sql(e);
    }
  }

  /** `e` as the metrics service evaluates it: metric comparisons, and flags for the rest. */
  condition(e: FilterExpr): RankCondition {
    if (!hasMetric(e)) {
      this.flags.push(this.sql(e));
      return { kind: 'flag', index: this.flags.length - 1 };
    }
    switch (e.kind) {
      case 'and':
      case 'or':
        return { kind: e.kind, operands: e.operands.map((o) => this.condition(o)) };
      case 'not':
        return { kind: 'not', operand: this.condition(e.operand) };
      default:
        return metricComparison(e);
    }
  }
}

function metricComparison(c: Comparison): RankCondition {
  if (c.key.kind !== 'metric') throw new Error('planRunSearch: not a metric comparison');
  const metric = { name: c.key.name, aggregate: c.key.aggregate };
  switch (c.kind) {
    case 'null':
      return { kind: 'null', metric, negate: c.op === 'IS NOT NULL' };
    case 'list':
      return { kind: 'in', metric, negate: c.op === 'NOT IN', values: c.values.map((v) => Number(v.value)) };
    default:
      return { kind: 'compare', metric, op: c.op as '=', value: Number(c.value.value) };
  }
}

/** The plan of a parsed filter. */
export function planFilter(ast: FilterAst, options: CompileOptions = {}): RunSearchPlan {
  if (!ast || !hasMetric(ast)) return { where: compileRunFilter(ast, options) };
  const planner = new Planner(options);
  const sql: Prisma.Sql[] = [];
  const metric: RankCondition[] = [];
  for (const term of ast.kind === 'and' ? ast.operands : [ast]) {
    if (!hasMetric(term)) {
      sql.push(planner.sql(term));
      continue;
    }
    metric.push(planner.condition(term));
    if (!onlyMetrics(term)) {
      const relaxed = planner.relax(term, true);
      if (relaxed === false) sql.push(Prisma.sql`FALSE`);
      else if (relaxed !== true) sql.push(relaxed);
    }
  }
  const condition: RankCondition = metric.length === 1 ? (metric[0] as RankCondition) : { kind: 'and', operands: metric };
  return {
    where: sql.length === 0 ? Prisma.sql`TRUE` : Prisma.join(sql, ' AND '),
    metrics: { condition, flags: planner.flags },
  };
}

/** Parses and plans in one step; throws BAD_USER_INPUT on a malformed filter. */
export function planRunSearch(text: string, options: CompileOptions = {}): RunSearchPlan {
  return planFilter(parseRunFilter(text), options);
}
