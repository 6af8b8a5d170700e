/**
 * Compiles a run filter's syntax tree into a parameterised SQL WHERE fragment
 * (a Prisma.Sql). Nothing from the filter is ever spliced into the SQL text:
 * every value and every params/tags key is a bound parameter; column names
 * come from the fixed table below; the alias is checked to be an identifier.
 *
 * Semantics:
 * - params/tags: `(r.params ->> $key)`, compared as text; with a number
 *   literal and =, !=, <, <=, >, >= (or numbers in IN lists), compared as
 *   numeric, only over values that look like numbers (others never match).
 *   A run without the key matches no comparison (but does match IS NULL).
 * - config: the value at the path (`r.config #> $path`), keeping its JSON
 *   type: a number literal compares with JSON numbers (as numeric), a string
 *   literal with JSON strings (and booleans, as 'true'/'false'); other values
 *   never match. `=` also tests JSONB containment (`r.config @> {...}`), which
 *   the GIN index on config answers, unless a path segment is an array index.
 *   IS NULL: the path is absent or holds JSON null.
 * - metrics: not here (the metrics service answers them; plan.ts).
 * - status as `status::text`; times as timestamptz; id/experiment_id as uuid.
 * - NOT is the complement: `NOT c` matches every run `c` does not (also those
 *   where `c` compares with a missing value).
 * - An empty filter compiles to TRUE.
 */
import { Prisma } from '../generated/prisma/client';
import type { Comparison, FilterAst, FilterExpr, FilterKey, Literal, RunAttribute } from './ast';

export interface CompileOptions {
  /** The table alias of `runs` in the query the fragment goes into (e.g. 'r'); none: unqualified columns. */
  alias?: string;
}

/** The column of each attribute, and the SQL type its values are cast to. */
const COLUMNS: Record<RunAttribute, { column: string; cast: string }> = {
  name: { column: 'name', cast: 'text' },
  status: { column: 'status', cast: 'text' },
  start_time: { column: 'start_time', cast: 'timestamptz' },
  end_time: { column: 'end_time', cast: 'timestamptz' },
  created_at: { column: 'created_at', cast: 'timestamptz' },
  id: { column: 'id', cast: 'uuid' },
  experiment_id: { column: 'experiment_id', cast: 'uuid' },
};

/**
 * What a stored param/tag value must look like to be compared as a number:
 * a decimal with an optional exponent of at most 3 digits, at most 1000
 * characters, so the numeric cast can never fail on a stored value.
 */
export const NUMERIC_VALUE = '^[-+]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][-+]?[0-9]{1,3})?$';
const MAX_NUMERIC_LENGTH = 1000;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SQL_OPS: Record<string, string> = {
  '=': '=',
  '!=': '<>',
  '<': '<',
  '<=': '<=',
  '>': '>',
  '>=': '>=',
  LIKE: 'LIKE',
  'NOT LIKE': 'NOT LIKE',
  ILIKE: 'ILIKE',
  'NOT ILIKE': 'NOT ILIKE',
};

class Compiler {
  private readonly prefix: string;

  constructor(options: CompileOptions) {
    if (options.alias !== undefined && !IDENTIFIER.test(options.alias)) {
      throw new Error(`compileRunFilter: alias must be an SQL identifier, got ${JSON.stringify(options.alias)}`);
    }
    this.prefix = options.alias ? `${options.alias}.` : '';
  }

  expr(node: FilterExpr): Prisma.Sql {
    switch (node.kind) {
      case 'and':
        return Prisma.sql`(${Prisma.join(
          node.operands.map((o) => this.expr(o)),
          ' AND ',
        )})`;
      case 'or':
        return Prisma.sql`(${Prisma.join(
          node.operands.map((o) => this.expr(o)),
          ' OR ',
        )})`;
      case 'not':
        return Prisma.sql`(${this.expr(node.operand)} IS NOT TRUE)`;
      default:
        return this.comparison(node);
    }
  }

  /** The JSON value at a config path. */
  private json(path: string[]): Prisma.Sql {
    return Prisma.sql`(${Prisma.raw(`${this.prefix}config`)} #> ${path}::text[])`;
  }

  /** The text of a param/tag or config string, or an attribute's column (status as text). */
  private text(key: FilterKey): Prisma.Sql {
    if (key.kind === 'metric') throw new Error('compileRunFilter: metric conditions go to the metrics service (plan.ts)');
    if (key.kind === 'config') {
      const value = this.json(key.path);
      return Prisma.sql`(CASE WHEN jsonb_typeof(${value}) IN ('string', 'boolean') THEN ${value} #>> '{}' END)`;
    }
    if (key.kind === 'attribute') {
      const { column } = COLUMNS[key.name];
      return Prisma.raw(key.name === 'status' ? `${this.prefix}${column}::text` : `${this.prefix}${column}`);
    }
    return Prisma.sql`(${Prisma.raw(`${this.prefix}${key.kind === 'param' ? 'params' : 'tags'}`)} ->> ${key.name}::text)`;
  }

  /** A param/tag as numeric when its text looks like a number (config: when it is a JSON number), else NULL. */
  private numeric(key: FilterKey): Prisma.Sql {
    if (key.kind === 'config') {
      const json = this.json(key.path);
      return Prisma.sql`(CASE WHEN jsonb_typeof(${json}) = 'number' THEN (${json})::numeric END)`;
    }
    const value = this.text(key);
    const pattern = Prisma.raw(`'${NUMERIC_VALUE}'`);
    return Prisma.sql`(CASE WHEN length(${value}) <= ${Prisma.raw(String(MAX_NUMERIC_LENGTH))} AND ${value} ~ ${pattern} THEN ${value}::numeric END)`;
  }

  /** A bound value with its cast (numbers are bound as their text, cast to numeric). */
  private value(key: FilterKey, literal: Literal): Prisma.Sql {
    return Prisma.sql`${literal.value}::${Prisma.raw(this.castOf(key, literal))}`;
  }

  private castOf(key: FilterKey, literal: Literal): string {
    if (key.kind === 'attribute') return COLUMNS[key.name].cast;
    if (key.kind === 'metric') throw new Error('compileRunFilter: metric conditions go to the metrics service (plan.ts)');
    return literal.type === 'number' ? 'numeric' : 'text';
  }

  private subject(key: FilterKey, literal: Literal): Prisma.Sql {
    return key.kind !== 'attribute' && literal.type === 'number' ? this.numeric(key) : this.text(key);
  }

  /**
   * `config @> {"a": {"b": value}}`: implied by `config.a.b = value`, and
   * answered by the GIN index. None where containment means something else: an
   * array index in the path, or 'true'/'false' (which also match booleans).
   */
  private containment(key: FilterKey, literal: Literal): Prisma.Sql | undefined {
    if (key.kind !== 'config' || key.path.some((s) => /^[0-9]+$/.test(s))) return undefined;
    if (literal.type === 'string' && (literal.value === 'true' || literal.value === 'false')) return undefined;
    let doc =
      literal.type === 'number' ? Prisma.sql`to_jsonb(${literal.value}::numeric)` : Prisma.sql`to_jsonb(${literal.value}::text)`;
    for (const segment of [...key.path].reverse()) doc = Prisma.sql`jsonb_build_object(${segment}::text, ${doc})`;
    return Prisma.sql`${Prisma.raw(`${this.prefix}config`)} @> ${doc}`;
  }

  private comparison(node: Comparison): Prisma.Sql {
    const { key } = node;
    if (node.kind === 'null') {
      if (key.kind === 'config') {
        const present = node.op === 'IS NULL' ? '=' : '<>';
        return Prisma.sql`(COALESCE(jsonb_typeof(${this.json(key.path)}), 'null') ${Prisma.raw(present)} 'null')`;
      }
      return Prisma.sql`(${this.text(key)} ${Prisma.raw(node.op)})`;
    }
    if (node.kind === 'compare') {
      const op = SQL_OPS[node.op];
      if (!op) throw new Error(`compileRunFilter: unknown operator ${node.op}`);
      const compared = Prisma.sql`${this.subject(key, node.value)} ${Prisma.raw(op)} ${this.value(key, node.value)}`;
      const contained = node.op === '=' ? this.containment(key, node.value) : undefined;
      return contained ? Prisma.sql`(${contained} AND ${compared})` : Prisma.sql`(${compared})`;
    }
    // IN: = ANY(array), NOT IN: <> ALL(array), one array per kind of value (one bound parameter each).
    const negate = node.op === 'NOT IN';
    const groups = new Map<string, { sample: Literal; values: string[] }>();
    for (const literal of node.values) {
      const cast = this.castOf(key, literal);
      const group = groups.get(cast) ?? { sample: literal, values: [] };
      group.values.push(literal.value);
      groups.set(cast, group);
    }
    const parts = [...groups.entries()].map(([cast, { sample, values }]) => {
      const array = Prisma.sql`${values}::${Prisma.raw(`${cast}[]`)}`;
      return negate
        ? Prisma.sql`${this.subject(key, sample)} <> ALL(${array})`
        : Prisma.sql`${this.subject(key, sample)} = ANY(${array})`;
    });
    if (parts.length === 0) throw new Error('compileRunFilter: empty IN list');
    return Prisma.sql`(${Prisma.join(parts, negate ? ' AND ' : ' OR ')})`;
  }
}

/** The WHERE fragment of a parsed filter (TRUE for an empty one). */
export function compileRunFilter(ast: FilterAst, options: CompileOptions = {}): Prisma.Sql {
  const compiler = new Compiler(options);
  return ast ? compiler.expr(ast) : Prisma.sql`TRUE`;
}
