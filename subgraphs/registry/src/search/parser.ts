/**
 * Recursive-descent parser of run filters:
 *
 *   filter     := <empty> | or
 *   or         := and (OR and)*
 *   and        := unary (AND unary)*
 *   unary      := NOT unary | '(' or ')' | comparison
 *   comparison := key op value | key [NOT] IN '(' value (',' value)* ')' | key IS [NOT] NULL
 *   key        := word [quoted name] | (MIN | MAX | LAST) '(' metrics.<name> ')'
 *
 * Keywords are case-insensitive; AND binds tighter than OR. Every error is a
 * BAD_USER_INPUT GraphQLError pointing at the offending column.
 */
import type { GraphQLError } from 'graphql';
import {
  type Comparison,
  type ComparisonOp,
  FILTER_LIMITS,
  type FilterAst,
  type FilterExpr,
  type FilterKey,
  type FilterOp,
  type Literal,
  METRIC_AGGREGATES,
  METRIC_NAME,
  type MetricAggregate,
} from './ast';
import { describeFound, filterError } from './errors';
import { KEY_EXPECTED, KEYWORDS, readKeyWord } from './keys';
import { type Token, tokenize } from './lexer';
import { checkValue, describeKey, disallowedOp, ValueProblem } from './values';

const OP_EXPECTED = 'an operator: =, !=, <, <=, >, >=, LIKE, ILIKE, IN, NOT IN, IS NULL or IS NOT NULL';
const VALUE_EXPECTED = 'a value (a quoted string or a number)';
const NEXT_EXPECTED = 'AND, OR or the end of the filter';

class Parser {
  private index = 0;
  private depth = 0;
  private comparisons = 0;
  private readonly metricNames = new Set<string>();

  constructor(
    private readonly text: string,
    private readonly tokens: Token[],
  ) {}

  parse(): FilterAst {
    if (this.tokens.length === 0) return null;
    const expr = this.parseOr();
    const token = this.peek();
    if (token?.type === ')') this.fail(token.start, "unbalanced ')': no '(' before it", NEXT_EXPECTED);
    if (token) this.fail(token.start, `expected ${NEXT_EXPECTED}, found ${this.found(token)}`, NEXT_EXPECTED);
    return expr;
  }

  private fail(offset: number, message: string, expected: string): never {
    throw filterError(this.text, offset, message, expected) as GraphQLError;
  }

  private peek(): Token | undefined {
    return this.tokens[this.index];
  }

  private next(): Token | undefined {
    const token = this.tokens[this.index];
    if (token) this.index += 1;
    return token;
  }

  private source(token: Token): string {
    return this.text.slice(token.start, token.end);
  }

  private found(token: Token | undefined): string {
    return describeFound(token && this.source(token));
  }

  /** Where a missing token was expected: at the next token, or the end of the filter. */
  private offsetOf(token: Token | undefined): number {
    return token ? token.start : this.text.length;
  }

  private isKeyword(token: Token | undefined, keyword: string): boolean {
    return token?.type === 'word' && token.value.toUpperCase() === keyword;
  }

  private enter(token: Token): void {
    this.depth += 1;
    if (this.depth > FILTER_LIMITS.maxDepth) {
      this.fail(
        token.start,
        `nested more than ${FILTER_LIMITS.maxDepth} levels deep (parentheses and NOT)`,
        `at most ${FILTER_LIMITS.maxDepth} levels of nesting`,
      );
    }
  }

  private parseOr(): FilterExpr {
    const operands = [this.parseAnd()];
    while (this.isKeyword(this.peek(), 'OR')) {
      this.next();
      operands.push(this.parseAnd());
    }
    return operands.length === 1 ? (operands[0] as FilterExpr) : { kind: 'or', operands };
  }

  private parseAnd(): FilterExpr {
    const operands = [this.parseUnary()];
    while (this.isKeyword(this.peek(), 'AND')) {
      this.next();
      operands.push(this.parseUnary());
    }
    return operands.length === 1 ? (operands[0] as FilterExpr) : { kind: 'and', operands };
  }

  private parseUnary(): FilterExpr {
    const token = this.peek();
    if (token && this.isKeyword(token, 'NOT')) {
      this.next();
      this.enter(token);
      const operand = this.parseUnary();
      this.depth -= 1;
      return { kind: 'not', operand };
    }
    if (token?.type === '(') {
      this.next();
      this.enter(token);
      const expr = this.parseOr();
      const close = this.next();
      if (close?.type !== ')') {
        const column = token.start + 1;
        this.fail(this.offsetOf(close), `expected ')' to close the '(' at column ${column}, found ${this.found(close)}`, "')'");
      }
      this.depth -= 1;
      return expr;
    }
    return this.parseComparison();
  }

  private parseComparison(): Comparison {
    const previous = this.tokens[this.index - 1];
    const token = this.next();
    if (token?.type !== 'word' || KEYWORDS.has(token.value.toUpperCase())) {
      const after = previous ? ` after '${this.source(previous)}'` : '';
      this.fail(this.offsetOf(token), `expected a condition${after}, found ${this.found(token)}`, KEY_EXPECTED);
    }
    this.comparisons += 1;
    if (this.comparisons > FILTER_LIMITS.maxComparisons) {
      const expected = `at most ${FILTER_LIMITS.maxComparisons} comparisons`;
      this.fail(token.start, `more than ${FILTER_LIMITS.maxComparisons} comparisons`, expected);
    }
    const key = this.isAggregateCall(token) ? this.parseAggregate(token) : this.parseKey(token);
    const keyEnd = this.tokens[this.index - 1] as Token;
    const keyText = this.text.slice(token.start, keyEnd.end);
    const { op, start } = this.parseOp(keyText);
    const allowed = disallowedOp(key, op);
    if (allowed) this.fail(start, `${describeKey(key)} does not support ${op}`, allowed.join(', '));
    const position = token.start + 1;
    if (op === 'IS NULL' || op === 'IS NOT NULL') return { kind: 'null', key, op, position };
    if (op === 'IN' || op === 'NOT IN') return { kind: 'list', key, op, values: this.parseList(key, op), position };
    const opToken = this.tokens[this.index - 1] as Token;
    return { kind: 'compare', key, op, value: this.parseValue(key, op, opToken), position };
  }

  /** `min(`, `max(`, `last(`: an aggregate of a metric. */
  private isAggregateCall(token: Token): boolean {
    const word = token.value.toLowerCase();
    return (METRIC_AGGREGATES as readonly string[]).includes(word) && this.peek()?.type === '(';
  }

  private parseAggregate(token: Token): FilterKey {
    const aggregate = token.value.toLowerCase() as MetricAggregate;
    const open = this.next() as Token;
    const inner = this.next();
    const expected = `${aggregate}(metrics.<name>)`;
    if (inner?.type !== 'word' || KEYWORDS.has(inner.value.toUpperCase())) {
      this.fail(this.offsetOf(inner), `expected a metric after '${aggregate}(', found ${this.found(inner)}`, expected);
    }
    const key = this.parseKey(inner);
    if (key.kind !== 'metric') this.fail(inner.start, `${aggregate}() takes a metric: ${expected}`, expected);
    const close = this.next();
    if (close?.type !== ')') {
      const column = open.start + 1;
      this.fail(this.offsetOf(close), `expected ')' to close the '(' at column ${column}, found ${this.found(close)}`, "')'");
    }
    return { ...key, aggregate };
  }

  private parseKey(token: Token): FilterKey {
    const word = readKeyWord(token.value);
    if (word.kind === 'invalid') this.fail(token.start, word.message, word.expected);
    if (word.kind === 'attribute') return word;
    if (word.kind === 'config') return this.parseConfigPath(token, word.path, word.quotedNext);
    if (word.kind === 'metric') return this.metricKey(token, word.name === '' ? this.quotedName(token) : word.name);
    if (word.name === '') return { kind: word.kind, name: this.quotedName(token) };
    // An unquoted name runs on over spaces until an operator: `params.learning rate > 0.1`.
    let end = token.end;
    for (let next = this.peek(); next?.type === 'word' && !KEYWORDS.has(next.value.toUpperCase()); next = this.peek()) {
      if (!/^ +$/.test(this.text.slice(end, next.start))) break;
      end = next.end;
      this.next();
    }
    const prefixLength = token.value.indexOf('.') + 1;
    return { kind: word.kind, name: this.text.slice(token.start + prefixLength, end) };
  }

  /** The quoted name right after a word ending in a dot (`metrics."a"`, `config.model."hidden size"`). */
  private quotedName(token: Token): string {
    const quoted = this.peek();
    if (!quoted || quoted.start !== token.end || (quoted.type !== 'string' && quoted.type !== 'backquoted')) {
      const expected = `a name: ${token.value}<name>, ${token.value}"<name>" or ${token.value}\`<name>\``;
      this.fail(token.end, `expected a name after '${token.value}'`, expected);
    }
    this.next();
    if (quoted.value === '') this.fail(quoted.start, 'the name is empty', 'a non-empty name');
    return quoted.value;
  }

  private metricKey(token: Token, name: string): FilterKey {
    if (!METRIC_NAME.test(name)) {
      const expected = 'a metric name: 1 to 200 letters, digits and _ . / -, starting with a letter, digit or _';
      this.fail(token.start, `'${name.slice(0, 60)}' is not a metric name`, expected);
    }
    this.metricNames.add(name);
    if (this.metricNames.size > FILTER_LIMITS.maxMetrics) {
      const expected = `at most ${FILTER_LIMITS.maxMetrics} metrics`;
      this.fail(token.start, `more than ${FILTER_LIMITS.maxMetrics} different metrics in one filter`, expected);
    }
    return { kind: 'metric', name, aggregate: 'last' };
  }

  /** A config path: dotted words, the last segment running on over spaces or quoted. */
  private parseConfigPath(token: Token, path: string[], quotedNext: boolean): FilterKey {
    const segments = [...path];
    if (quotedNext) {
      segments.push(this.quotedName(token));
    } else {
      let end = token.end;
      for (let next = this.peek(); next?.type === 'word' && !KEYWORDS.has(next.value.toUpperCase()); next = this.peek()) {
        if (!/^ +$/.test(this.text.slice(end, next.start))) break;
        end = next.end;
        this.next();
      }
      if (end > token.end) segments[segments.length - 1] += this.text.slice(token.end, end);
    }
    if (segments.length > FILTER_LIMITS.maxConfigPath) {
      const expected = `at most ${FILTER_LIMITS.maxConfigPath} path segments`;
      this.fail(token.start, `the config path has ${segments.length} segments`, expected);
    }
    return { kind: 'config', path: segments };
  }

  private parseOp(keyText: string): { op: FilterOp; start: number } {
    const token = this.next();
    const fail = (at: Token | undefined): never =>
      this.fail(this.offsetOf(at), `expected an operator after '${keyText}', found ${this.found(at)}`, OP_EXPECTED);
    if (!token) return fail(token);
    const start = token.start;
    if (token.type === 'op') return { op: token.value as ComparisonOp, start };
    const word = token.type === 'word' ? token.value.toUpperCase() : '';
    if (word === 'LIKE' || word === 'ILIKE' || word === 'IN') return { op: word, start };
    if (word === 'NOT') {
      const after = this.next();
      const next = after?.type === 'word' ? after.value.toUpperCase() : '';
      if (next === 'LIKE' || next === 'ILIKE' || next === 'IN') return { op: `NOT ${next}`, start };
      this.fail(this.offsetOf(after), `expected IN, LIKE or ILIKE after NOT, found ${this.found(after)}`, 'IN, LIKE or ILIKE');
    }
    if (word === 'IS') {
      let after = this.next();
      const not = this.isKeyword(after, 'NOT');
      if (not) after = this.next();
      if (this.isKeyword(after, 'NULL')) return { op: not ? 'IS NOT NULL' : 'IS NULL', start };
      const what = not ? 'IS NOT' : 'IS';
      this.fail(
        this.offsetOf(after),
        `expected NULL after ${what}, found ${this.found(after)}`,
        not ? 'NULL' : 'NULL or NOT NULL',
      );
    }
    return fail(token);
  }

  private parseList(key: FilterKey, op: FilterOp): Literal[] {
    const open = this.next();
    if (open?.type !== '(') {
      this.fail(this.offsetOf(open), `expected '(' after ${op}, found ${this.found(open)}`, "'(' and a list of values");
    }
    const values: Literal[] = [];
    let previous: Token = open;
    for (;;) {
      if (values.length === FILTER_LIMITS.maxListItems) {
        const expected = `at most ${FILTER_LIMITS.maxListItems} values`;
        this.fail(this.offsetOf(this.peek()), `more than ${FILTER_LIMITS.maxListItems} values in ${op} (...)`, expected);
      }
      values.push(this.parseValue(key, op, previous));
      const next = this.next();
      if (next?.type === ')') return values;
      if (next?.type !== ',') {
        this.fail(this.offsetOf(next), `expected ',' or ')' in the ${op} list, found ${this.found(next)}`, "',' or ')'");
      }
      previous = next;
    }
  }

  private parseValue(key: FilterKey, op: FilterOp, after: Token): Literal {
    const token = this.next();
    let literal: Literal | undefined;
    if (token?.type === 'string') literal = { type: 'string', value: token.value };
    else if (token?.type === 'number') literal = { type: 'number', value: token.value };
    else if (token?.type === 'backquoted') {
      this.fail(token.start, 'backquotes quote names, not values: quote values with \' or "', VALUE_EXPECTED);
    } else if (this.isKeyword(token, 'NULL')) {
      this.fail(this.offsetOf(token), 'NULL is not a value: test a missing value with IS NULL or IS NOT NULL', VALUE_EXPECTED);
    }
    if (!token || !literal) {
      const message = `expected a value after '${this.source(after)}', found ${this.found(token)}`;
      return this.fail(this.offsetOf(token), message, VALUE_EXPECTED);
    }
    try {
      return checkValue(key, op, literal);
    } catch (err) {
      if (err instanceof ValueProblem) this.fail(token.start, err.message, err.expected);
      throw err;
    }
  }
}

/**
 * The syntax tree of a run filter, validated; null for an empty (or
 * whitespace-only) filter. Throws a BAD_USER_INPUT GraphQLError with the
 * column of the problem when the filter is malformed or over a limit.
 */
export function parseRunFilter(text: string): FilterAst {
  if (text.length > FILTER_LIMITS.maxLength) {
    throw filterError(
      text,
      FILTER_LIMITS.maxLength,
      `the filter is ${text.length} characters long; at most ${FILTER_LIMITS.maxLength} are allowed`,
      `at most ${FILTER_LIMITS.maxLength} characters`,
    );
  }
  return new Parser(text, tokenize(text)).parse();
}
