/**
 * The SQL of RunRankingStore.rank: candidate runs filtered by their metrics'
 * summaries and ordered, a page per group, in ONE ClickHouse query.
 *
 *   u   the candidates as sent: arrayJoin over the run ids zipped with their
 *       group, flags and position (the ids are one Array(UUID) parameter);
 *   s   each candidate's summary of every metric named (last, min, max): the
 *       GROUP BY run_id, metric_name that Run.metrics runs (answered from the
 *       step_blocks projection), pivoted to one row per run, NULL where a run
 *       lacks the metric (anyIf over Nullable, join_use_nulls);
 *   the condition over those columns and the flags, `count() OVER` each
 *   group for its total, `after` for "beyond the cursor", and row_number()
 *   in page order with the runs beyond the cursor first; kept: a page and
 *   one more beyond the cursor, and each group's first row (for its total).
 *
 * Values never enter the SQL text: names, ids and numbers are query
 * parameters; every Float64 travels as its 64 bits (reinterpretAsFloat64 of a
 * UInt64), so a cursor's value compares exactly with the stored one. A
 * comparison with a metric a run lacks is false (never NULL), so NOT is the
 * complement, as in the registry's filter language.
 */
import type { MetricRef, RankCondition, RankRunsRequest } from '@lab/shared';

/** The 64 bits of a Float64, as a UInt64 parameter's text. */
export function float64Bits(value: number): string {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  return view.getBigUint64(0).toString();
}

/** The Float64 of a UInt64's text (the inverse of float64Bits). */
export function bitsToFloat64(bits: string): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, BigInt(bits));
  return view.getFloat64(0);
}

const OPS: Record<string, string> = { '=': '=', '!=': '!=', '<': '<', '<=': '<=', '>': '>', '>=': '>=' };
const COLUMNS = { last: 'last_value', min: 'lo_value', max: 'hi_value' } as const;

/** Every metric a request names (condition and order), distinct. */
export function metricsOf(request: Pick<RankRunsRequest, 'condition' | 'order'>): MetricRef[] {
  const found = new Map<string, MetricRef>();
  const add = (m: MetricRef) => found.set(`${m.aggregate}:${m.name}`, m);
  const walk = (c: RankCondition): void => {
    if (c.kind === 'compare' || c.kind === 'in' || c.kind === 'null') add(c.metric);
    else if (c.kind === 'and' || c.kind === 'or') c.operands.forEach(walk);
    else if (c.kind === 'not') walk(c.operand);
  };
  if (request.condition) walk(request.condition);
  if (request.order.kind === 'metric') add(request.order.metric);
  return [...found.values()];
}

class RankSql {
  readonly params: Record<string, unknown> = {};
  private readonly names: string[] = [];
  private n = 0;

  constructor(private readonly flagCount: number) {}

  param(type: string, value: unknown): string {
    const name = `p${this.n++}`;
    this.params[name] = value;
    return `{${name}:${type}}`;
  }

  float(value: number): string {
    return `reinterpretAsFloat64(${this.param('UInt64', float64Bits(value))})`;
  }

  /** The pivoted column of a metric summary (m<i>_<aggregate>), registering the name. */
  column(metric: MetricRef): string {
    let index = this.names.indexOf(metric.name);
    if (index < 0) index = this.names.push(metric.name) - 1;
    return `s.m${index}_${metric.aggregate}`;
  }

  get metricNames(): readonly string[] {
    return this.names;
  }

  condition(c: RankCondition): string {
    switch (c.kind) {
      case 'compare': {
        const op = OPS[c.op];
        if (!op) throw new Error(`unknown operator ${c.op}`);
        return `ifNull(${this.column(c.metric)} ${op} ${this.float(c.value)}, 0)`;
      }
      case 'in': {
        const col = this.column(c.metric);
        const values = `arrayMap(x -> reinterpretAsFloat64(toUInt64(x)), ${this.param('Array(String)', c.values.map(float64Bits))})`;
        return `(${col} IS NOT NULL AND ${c.negate ? 'NOT ' : ''}has(${values}, assumeNotNull(${col})))`;
      }
      case 'null':
        return `(${this.column(c.metric)} ${c.negate ? 'IS NOT NULL' : 'IS NULL'})`;
      case 'flag':
        if (!Number.isInteger(c.index) || c.index < 0 || c.index >= this.flagCount) throw new Error(`no flag ${c.index}`);
        return `(substring(u.flags, ${c.index + 1}, 1) = '1')`;
      case 'and':
      case 'or':
        return `(${c.operands.map((o) => this.condition(o)).join(c.kind === 'and' ? ' AND ' : ' OR ')})`;
      case 'not':
        return `(NOT ${this.condition(c.operand)})`;
    }
  }
}

/** `v` beyond the cursor in a metric order: nulls last, ties by run id (as text) in the direction. */
function metricAfter(sql: RankSql, direction: 'ASC' | 'DESC', after: RankRunsRequest['order'] & { kind: 'metric' }): string {
  const cursor = after.after;
  if (!cursor) return '1';
  const beyond = direction === 'ASC' ? '>' : '<';
  const id = `rid ${beyond} ${sql.param('String', cursor.runId.toLowerCase())}`;
  if (cursor.value === null) return `(v IS NULL AND ${id})`;
  const value = sql.float(cursor.value);
  return `(v IS NULL OR ifNull(v ${beyond} ${value}, 0) OR (ifNull(v = ${value}, 0) AND ${id}))`;
}

/**
 * The query and its parameters. Answers rows (rid, grp, v_bits, total, after)
 * ordered by group then page order; rows with after = 0 only carry a total.
 */
export function rankQuery(table: string, request: RankRunsRequest): { query: string; params: Record<string, unknown> } {
  const flagCount = request.flags?.[0]?.length ?? 0;
  const sql = new RankSql(flagCount);
  const runIds = sql.param('Array(UUID)', request.runIds);
  const groups = sql.param('Array(UInt32)', request.groups ?? request.runIds.map(() => 0));
  const flags = sql.param('Array(String)', request.flags ?? request.runIds.map(() => ''));
  const where = request.condition ? sql.condition(request.condition) : '1';
  const { order } = request;
  let value = 'CAST(NULL AS Nullable(Float64))';
  let after = '1';
  let pageOrder = 'pos';
  if (order.kind === 'metric') {
    value = sql.column(order.metric);
    after = metricAfter(sql, order.direction, order);
    pageOrder = `isNull(v), v ${order.direction}, rid ${order.direction}`;
  } else if (order.firstAfter) {
    after = `pos >= ${sql.param('Array(UInt32)', order.firstAfter)}[grp + 1]`;
  }
  const names = sql.metricNames;
  const pivot = names.flatMap((_, i) =>
    (['last', 'min', 'max'] as const).map(
      (aggregate) => `anyIf(toNullable(${COLUMNS[aggregate]}), metric_name = {n${i}:String}) AS m${i}_${aggregate}`,
    ),
  );
  names.forEach((name, i) => {
    sql.params[`n${i}`] = name;
  });
  if (names.length === 0) throw new Error('rankQuery: the request names no metric');
  const summaries = `SELECT run_id, ${pivot.join(', ')}
    FROM (
      SELECT run_id, metric_name, argMax(metric_value, step) AS last_value, min(metric_value) AS lo_value,
        max(metric_value) AS hi_value
      FROM ${table}
      WHERE run_id IN ${runIds} AND metric_name IN ${sql.param('Array(String)', names)}
      GROUP BY run_id, metric_name
    )
    GROUP BY run_id`;
  const limit = sql.param('UInt32', request.limit);
  const query = `SELECT rid, grp, if(isNull(v), NULL, toString(reinterpretAsUInt64(assumeNotNull(v)))) AS v_bits, total, after
FROM (
  SELECT rid, grp, v, total, ${after} AS after, row_number() OVER (PARTITION BY grp ORDER BY after DESC, ${pageOrder}) AS rn
  FROM (
    SELECT toString(u.run_id) AS rid, u.grp AS grp, u.pos AS pos, ${value} AS v, count() OVER (PARTITION BY u.grp) AS total
    FROM (
      SELECT t.1 AS run_id, t.2 AS grp, t.3 AS flags, t.4 AS pos
      FROM (SELECT arrayJoin(arrayZip(${runIds}, ${groups}, ${flags}, range(length(${runIds})))) AS t)
    ) AS u
    LEFT JOIN (
    ${summaries}
    ) AS s ON s.run_id = u.run_id
    WHERE ${where}
  )
)
WHERE (after AND rn <= ${limit}) OR rn = 1
ORDER BY grp, rn
SETTINGS join_use_nulls = 1`;
  return { query, params: sql.params };
}
