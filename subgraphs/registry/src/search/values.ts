/**
 * What each key accepts: the operators allowed on it and the values it
 * compares with (metrics: numbers only), normalised (status upper-cased, UUIDs lower-cased, times as
 * canonical ISO-8601 strings PostgreSQL reads as timestamptz).
 */
import { RunStatus } from '../generated/prisma/enums';
import type { FilterKey, FilterOp, Literal, RunAttribute } from './ast';

export const RUN_STATUSES = Object.values(RunStatus) as string[];

/** How an attribute compares: the column kinds of the runs table. */
type AttributeKind = 'text' | 'status' | 'time' | 'uuid';
const ATTRIBUTE_KIND: Record<RunAttribute, AttributeKind> = {
  name: 'text',
  status: 'status',
  start_time: 'time',
  end_time: 'time',
  created_at: 'time',
  id: 'uuid',
  experiment_id: 'uuid',
};

const EQUALITY: FilterOp[] = ['=', '!=', 'IN', 'NOT IN', 'IS NULL', 'IS NOT NULL'];
const ORDERING: FilterOp[] = ['<', '<=', '>', '>='];
const PATTERN: FilterOp[] = ['LIKE', 'NOT LIKE', 'ILIKE', 'NOT ILIKE'];
const OPS_BY_KIND: Record<AttributeKind | 'json' | 'metric', FilterOp[]> = {
  json: [...EQUALITY, ...ORDERING, ...PATTERN],
  metric: [...EQUALITY, ...ORDERING],
  text: [...EQUALITY, ...ORDERING, ...PATTERN],
  status: [...EQUALITY, ...PATTERN],
  time: [...EQUALITY, ...ORDERING],
  uuid: EQUALITY,
};

function kindOf(key: FilterKey): AttributeKind | 'json' | 'metric' {
  if (key.kind === 'attribute') return ATTRIBUTE_KIND[key.name];
  return key.kind === 'metric' ? 'metric' : 'json';
}

export function describeKey(key: FilterKey): string {
  switch (key.kind) {
    case 'param':
      return `params.${key.name}`;
    case 'tag':
      return `tags.${key.name}`;
    case 'config':
      return `config.${key.path.join('.')}`;
    case 'metric':
      return key.aggregate === 'last' ? `metrics.${key.name}` : `${key.aggregate}(metrics.${key.name})`;
    default:
      return key.name;
  }
}

/** The operators a key takes, or undefined when `op` is one of them. */
export function disallowedOp(key: FilterKey, op: FilterOp): string[] | undefined {
  const ops = OPS_BY_KIND[kindOf(key)];
  return ops.includes(op) ? undefined : ops;
}

/** A rejected value: why, and what would have been accepted. */
export class ValueProblem {
  constructor(
    readonly message: string,
    readonly expected: string,
  ) {}
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;
const TIME_EXPECTED = "an ISO-8601 time (e.g. '2024-05-01T12:00:00Z' or '2024-05-01') or epoch milliseconds";
/** Epoch milliseconds of 0001-01-01 and of 9999-12-31T23:59:59.999Z. */
const MIN_EPOCH_MS = -62135596800000;
const MAX_EPOCH_MS = 253402300799999;

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** A canonical timestamptz string for an ISO-8601 time (no zone: UTC), or undefined when it is not a valid one. */
export function parseIsoTime(text: string): string | undefined {
  const m = ISO.exec(text.trim());
  if (!m) return undefined;
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac, zone = 'Z'] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return undefined;
  let offset = 'Z';
  if (zone.toUpperCase() !== 'Z') {
    const digits = zone.slice(1).replace(':', '');
    const zh = digits.slice(0, 2);
    const zm = digits.slice(2) || '00';
    if (Number(zh) > 15 || Number(zm) > 59) return undefined;
    offset = `${zone[0]}${zh}:${zm}`;
  }
  return `${y}-${mo}-${d}T${h}:${mi}:${s}${frac ? `.${frac}` : ''}${offset}`;
}

function timeValue(literal: Literal): Literal {
  if (literal.type === 'number') {
    const ms = Number(literal.value);
    if (!Number.isInteger(ms) || ms < MIN_EPOCH_MS || ms > MAX_EPOCH_MS) {
      throw new ValueProblem(`${literal.value} is not a valid epoch milliseconds time (years 1 to 9999)`, TIME_EXPECTED);
    }
    return { type: 'time', value: new Date(ms).toISOString() };
  }
  const iso = parseIsoTime(literal.value);
  if (!iso) throw new ValueProblem(`'${literal.value}' is not a valid ISO-8601 time`, TIME_EXPECTED);
  return { type: 'time', value: iso };
}

/**
 * The value `literal` as `key` compares with it under `op`, normalised; throws
 * a ValueProblem when the key cannot take it.
 */
export function checkValue(key: FilterKey, op: FilterOp, literal: Literal): Literal {
  const kind = kindOf(key);
  const pattern = PATTERN.includes(op);
  const name = describeKey(key);
  if (pattern && literal.type !== 'string') {
    throw new ValueProblem(`${op} needs a quoted string pattern`, "a quoted pattern (e.g. 'bert%')");
  }
  switch (kind) {
    case 'json':
      return literal;
    case 'metric':
      if (literal.type !== 'number') throw new ValueProblem(`${name} compares with numbers`, 'a number (e.g. 0.5, 1e-3)');
      if (!Number.isFinite(Number(literal.value))) {
        throw new ValueProblem(`${literal.value} is out of range for a metric value`, 'a finite number');
      }
      return literal;
    case 'text':
      if (literal.type !== 'string') throw new ValueProblem(`${name} compares with a quoted string`, 'a quoted string');
      return literal;
    case 'status': {
      if (literal.type !== 'string') throw new ValueProblem('status compares with a quoted string', 'a quoted string');
      if (pattern) return literal;
      const upper = literal.value.toUpperCase();
      const expected = `one of ${RUN_STATUSES.join(', ')}`;
      if (!RUN_STATUSES.includes(upper)) {
        throw new ValueProblem(`'${literal.value}' is not a run status: status must be ${expected}`, expected);
      }
      return { type: 'string', value: upper };
    }
    case 'time':
      return timeValue(literal);
    case 'uuid':
      if (literal.type !== 'string' || !UUID.test(literal.value)) {
        throw new ValueProblem(`${name} must be a UUID`, "a quoted UUID (e.g. '0b6f…-…')");
      }
      return { type: 'string', value: literal.value.toLowerCase() };
  }
}
