import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { excerpt } from './errors';
import { parseRunFilter } from './parser';

function errorOf(text: string): GraphQLError {
  try {
    parseRunFilter(text);
  } catch (err) {
    if (err instanceof GraphQLError) return err;
    throw err;
  }
  throw new Error(`no error for ${text}`);
}

/** [filter, column, message after "at column N: "] */
const MALFORMED: [string, number, string][] = [
  ["params.lr = and status = 'X'", 13, "expected a value after '=', found 'and'"],
  ['params.lr =', 12, "expected a value after '=', found the end of the filter"],
  ["status = 'DONE'", 10, "'DONE' is not a run status: status must be one of RUNNING, COMPLETED, FAILED, KILLED"],
  ["(params.a = 1 OR name = 'x'", 28, "expected ')' to close the '(' at column 1, found the end of the filter"],
  ["name = 'x')", 11, "unbalanced ')': no '(' before it"],
  ['params.a = 1 params.b = 2', 14, "expected AND, OR or the end of the filter, found 'params.b'"],
  ["name = 'x' AND", 15, "expected a condition after 'AND', found the end of the filter"],
  ["OR name = 'x'", 1, "expected a condition, found 'OR'"],
  ["foo = 'x'", 1, "unknown key 'foo'"],
  ["attributes.colour = 'x'", 1, "unknown attribute 'colour'"],
  ["metrics.loss < 'low'", 16, 'metrics.loss compares with numbers'],
  ["min(metrics.loss) LIKE 'a%'", 19, 'min(metrics.loss) does not support LIKE'],
  ['metrics.loss < 1e999', 16, '1e999 is out of range for a metric value'],
  ['min(params.lr) < 1', 5, 'min() takes a metric: min(metrics.<name>)'],
  ['max(metrics.loss < 1', 18, "expected ')' to close the '(' at column 4, found '<'"],
  ['metrics.los$ < 1', 12, "unexpected character '$'"],
  ['metrics."a b" < 1', 1, "'a b' is not a metric name"],
  ['metrics < 1', 1, "'metrics' needs a name: metrics.<name>"],
  ['config < 1', 1, "'config' needs a path: config.<name>.<name>…"],
  ['config.a..b = 1', 1, "'config.a..b' has an empty path segment"],
  ['config.a. = 1', 10, "expected a name after 'config.a.'"],
  ['params. = 1', 8, "expected a name after 'params.'"],
  ["params.lr 'x'", 11, "expected an operator after 'params.lr', found ''x''"],
  ['params.lr IS 1', 14, "expected NULL after IS, found '1'"],
  ["params.lr NOT = 'x'", 15, "expected IN, LIKE or ILIKE after NOT, found '='"],
  ["params.lr IN 'x'", 14, "expected '(' after IN, found ''x''"],
  ["params.lr IN ('a' 'b')", 19, "expected ',' or ')' in the IN list, found ''b''"],
  ['params.lr IN ()', 15, "expected a value after '(', found ')'"],
  ["name = 'unterminated", 8, 'unterminated string: no closing single quote for the one here'],
  ['params.lr = 1x', 13, "invalid number '1x'"],
  ['params.lr = NULL', 13, 'NULL is not a value: test a missing value with IS NULL or IS NOT NULL'],
  ['params.lr = `x`', 13, 'backquotes quote names, not values: quote values with \' or "'],
  ['params.lr LIKE 5', 16, 'LIKE needs a quoted string pattern'],
  ['name = 5', 8, 'name compares with a quoted string'],
  ["status > 'RUNNING'", 8, 'status does not support >'],
  ["id = 'abc'", 6, 'id must be a UUID'],
  ["start_time > 'yesterday'", 14, "'yesterday' is not a valid ISO-8601 time"],
  ["end_time < '2023-02-29T00:00:00Z'", 12, "'2023-02-29T00:00:00Z' is not a valid ISO-8601 time"],
  ['start_time > 1.5', 14, '1.5 is not a valid epoch milliseconds time (years 1 to 9999)'],
  ["start_time LIKE '2024%'", 12, 'start_time does not support LIKE'],
  ["name = 'a' ; DROP TABLE runs", 12, "unexpected character ';'"],
  ["name = 'a\0b'", 10, 'the filter contains a NUL character'],
];

describe('errors of malformed filters', () => {
  it.each(MALFORMED)('%s → column %i', (filter, column, message) => {
    const error = errorOf(filter);
    expect(error.message.split('\n')[0]).toBe(`Invalid filter at column ${column}: ${message}`);
    expect(error.extensions.code).toBe('BAD_USER_INPUT');
    expect(error.extensions.filter).toEqual({ position: column, expected: expect.any(String) });
  });

  it('shows the filter with a caret under the column', () => {
    const error = errorOf("params.lr = and status = 'X'");
    expect(error.message).toBe(
      "Invalid filter at column 13: expected a value after '=', found 'and'\n  params.lr = and status = 'X'\n              ^",
    );
    expect(error.extensions).toEqual({
      code: 'BAD_USER_INPUT',
      filter: { position: 13, expected: 'a value (a quoted string or a number)' },
    });
  });

  it('names the allowed statuses and operators in `expected`', () => {
    expect(errorOf("status IN ('RUNNING', 'nope')").extensions.filter).toEqual({
      position: 23,
      expected: 'one of RUNNING, COMPLETED, FAILED, KILLED',
    });
    expect(errorOf("id < 'x'").extensions.filter).toEqual({
      position: 4,
      expected: '=, !=, IN, NOT IN, IS NULL, IS NOT NULL',
    });
  });

  it('counts columns across lines and shows them on one line', () => {
    const error = errorOf("name = 'a'\nAND\nstatus = 'NOPE'");
    expect(error.message).toBe(
      "Invalid filter at column 25: 'NOPE' is not a run status: status must be one of RUNNING, COMPLETED, FAILED, KILLED\n" +
        "  name = 'a' AND status = 'NOPE'\n                          ^",
    );
  });

  it('enforces the limits', () => {
    expect(errorOf(`name = '${'x'.repeat(4000)}'`).message).toMatch(
      /^Invalid filter at column 4001: the filter is 4009 characters long; at most 4000 are allowed/,
    );
    const many = Array.from({ length: 101 }, (_, i) => `params.p${i} = 1`).join(' OR ');
    expect(errorOf(many).message).toMatch(
      `Invalid filter at column ${many.indexOf('params.p100') + 1}: more than 100 comparisons`,
    );
    expect(errorOf(`${'('.repeat(21)}name = 'x'${')'.repeat(21)}`).message).toMatch(
      /^Invalid filter at column 21: nested more than 20 levels deep \(parentheses and NOT\)/,
    );
    expect(errorOf(`${'NOT '.repeat(21)}name = 'x'`).message).toMatch(/^Invalid filter at column 81: nested more than 20/);
    const list = `params.x IN (${Array.from({ length: 1001 }, (_, i) => i).join(',')})`;
    expect(errorOf(list).message).toMatch(/more than 1000 values in IN \(\.\.\.\)/);
  });
});

describe('excerpt', () => {
  it('shows a window around the column of a long filter, with ellipses', () => {
    const text = `${'a'.repeat(100)}X${'b'.repeat(100)}`;
    const { line, caret } = excerpt(text, 100);
    expect(line).toBe(`…${'a'.repeat(50)}X${'b'.repeat(49)}…`);
    expect(line[caret]).toBe('X');
  });

  it('puts the caret after the last character at the end of the filter', () => {
    expect(excerpt('abc', 3)).toEqual({ line: 'abc', caret: 3 });
  });
});
