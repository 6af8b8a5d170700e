/**
 * Run search filters: MLflow's search_runs syntax with OR, NOT and
 * parentheses, compiled to a parameterised SQL WHERE fragment over `runs`.
 *
 *   const where = runFilterToSql(filter, { alias: 'r' });
 *   prisma.$queryRaw(Prisma.sql`SELECT r.id FROM runs r WHERE r.experiment_id = ${id}::uuid AND ${where}`);
 *
 * A filter naming metrics is planned instead (planRunSearch): SQL for the
 * registry's part, a condition tree for the metrics service.
 */
import type { Prisma } from '../generated/prisma/client';
import { type CompileOptions, compileRunFilter } from './compiler';
import { parseRunFilter } from './parser';

export type {
  Comparison,
  ComparisonOp,
  FilterAst,
  FilterExpr,
  FilterKey,
  FilterOp,
  ListOp,
  Literal,
  MetricAggregate,
  NullOp,
  RunAttribute,
} from './ast';
export { FILTER_LIMITS, METRIC_AGGREGATES, METRIC_NAME, RUN_ATTRIBUTES } from './ast';
export { type CompileOptions, compileRunFilter, NUMERIC_VALUE } from './compiler';
export type { FilterErrorDetails } from './errors';
export { parseRunFilter } from './parser';
export { planFilter, planRunSearch, type RunSearchPlan } from './plan';
export { RUN_STATUSES } from './values';

/** Parses and compiles in one step (a filter naming no metric); throws BAD_USER_INPUT on a malformed filter. */
export function runFilterToSql(text: string, options: CompileOptions = {}): Prisma.Sql {
  return compileRunFilter(parseRunFilter(text), options);
}
