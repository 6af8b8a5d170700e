/**
 * The syntax tree of a run filter (see README.md in this folder for the
 * language). parseRunFilter builds it, already validated: attribute values are
 * normalised (status upper-cased, UUIDs lower-cased, times canonical ISO-8601),
 * so compileRunFilter only has to turn it into SQL. Metric comparisons are
 * answered by the metrics service: planRunSearch (plan.ts) sets them apart.
 */

/** The run attributes a filter may name, each mapped to one fixed column. */
export const RUN_ATTRIBUTES = ['name', 'status', 'start_time', 'end_time', 'created_at', 'id', 'experiment_id'] as const;
export type RunAttribute = (typeof RUN_ATTRIBUTES)[number];

/** How a metric's points are summed up into one value per run: the last (at the largest step), the least, the greatest. */
export const METRIC_AGGREGATES = ['last', 'min', 'max'] as const;
export type MetricAggregate = (typeof METRIC_AGGREGATES)[number];

export type FilterKey =
  | { kind: 'param'; name: string }
  | { kind: 'tag'; name: string }
  | { kind: 'attribute'; name: RunAttribute }
  /** A value inside the run's nested config: `config.optimizer.lr` is the path ['optimizer', 'lr']. */
  | { kind: 'config'; path: string[] }
  /** A metric of the run, summed up by `aggregate`: `metrics.val_loss` (last), `min(metrics.val_loss)`. */
  | { kind: 'metric'; name: string; aggregate: MetricAggregate };

export type ComparisonOp = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'LIKE' | 'NOT LIKE' | 'ILIKE' | 'NOT ILIKE';
export type ListOp = 'IN' | 'NOT IN';
export type NullOp = 'IS NULL' | 'IS NOT NULL';
export type FilterOp = ComparisonOp | ListOp | NullOp;

/**
 * A literal. `number` keeps the literal's source text (bound as text and cast
 * to numeric, so no precision is lost); `time` is a canonical ISO-8601 string
 * (from an ISO string or epoch milliseconds).
 */
export type Literal = { type: 'string'; value: string } | { type: 'number'; value: string } | { type: 'time'; value: string };

export type Comparison =
  | { kind: 'compare'; key: FilterKey; op: ComparisonOp; value: Literal; position: number }
  | { kind: 'list'; key: FilterKey; op: ListOp; values: Literal[]; position: number }
  | { kind: 'null'; key: FilterKey; op: NullOp; position: number };

export type FilterExpr =
  | Comparison
  | { kind: 'and'; operands: FilterExpr[] }
  | { kind: 'or'; operands: FilterExpr[] }
  | { kind: 'not'; operand: FilterExpr };

/** A parsed filter; null when the filter is empty (no condition). */
export type FilterAst = FilterExpr | null;

/** Limits on a filter, each reported as BAD_USER_INPUT when exceeded. */
export const FILTER_LIMITS = {
  maxLength: 4000,
  maxComparisons: 100,
  maxDepth: 20,
  maxListItems: 1000,
  /** Segments of a config path. */
  maxConfigPath: 32,
  /** Distinct metric names in one filter. */
  maxMetrics: 20,
} as const;

/** What a metric name looks like (as the metrics service takes them at ingest). */
export const METRIC_NAME = /^[A-Za-z0-9_][A-Za-z0-9_./-]{0,199}$/;
