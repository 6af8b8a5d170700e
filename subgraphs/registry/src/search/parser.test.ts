import { describe, expect, it } from 'vitest';
import type { FilterExpr } from './ast';
import { parseRunFilter } from './parser';

const str = (value: string) => ({ type: 'string', value }) as const;
const num = (value: string) => ({ type: 'number', value }) as const;
const param = (name: string) => ({ kind: 'param', name }) as const;
const tag = (name: string) => ({ kind: 'tag', name }) as const;
const attr = (name: string) => ({ kind: 'attribute', name }) as const;

/** The tree without positions, for compact expectations. */
function shape(node: FilterExpr | null): unknown {
  if (!node) return null;
  if (node.kind === 'and' || node.kind === 'or') return { [node.kind]: node.operands.map(shape) };
  if (node.kind === 'not') return { not: shape(node.operand) };
  const { position: _position, ...rest } = node;
  return rest;
}
const parse = (text: string) => shape(parseRunFilter(text));
const cmp = (key: unknown, op: string, value: unknown) => ({ kind: 'compare', key, op, value });

describe('parseRunFilter', () => {
  it('gives null for an empty or whitespace-only filter', () => {
    expect(parseRunFilter('')).toBeNull();
    expect(parseRunFilter('  \n\t ')).toBeNull();
  });

  it('parses a comparison with its 1-based position', () => {
    expect(parseRunFilter("  params.lr = '0.1'")).toEqual({
      kind: 'compare',
      key: param('lr'),
      op: '=',
      value: str('0.1'),
      position: 3,
    });
  });

  it('binds AND tighter than OR, and parentheses override', () => {
    const a = cmp(param('a'), '=', num('1'));
    const b = cmp(param('b'), '=', num('2'));
    const c = cmp(param('c'), '=', num('3'));
    expect(parse('params.a = 1 OR params.b = 2 AND params.c = 3')).toEqual({ or: [a, { and: [b, c] }] });
    expect(parse('params.a = 1 AND params.b = 2 OR params.c = 3')).toEqual({ or: [{ and: [a, b] }, c] });
    expect(parse('(params.a = 1 OR params.b = 2) AND params.c = 3')).toEqual({ and: [{ or: [a, b] }, c] });
    expect(parse('params.a = 1 or params.b = 2 or params.c = 3')).toEqual({ or: [a, b, c] });
    expect(parse('((params.a = 1))')).toEqual(a);
  });

  it('applies NOT to the nearest operand', () => {
    const a = cmp(param('a'), '=', num('1'));
    const b = cmp(param('b'), '=', num('2'));
    expect(parse('NOT params.a = 1 AND params.b = 2')).toEqual({ and: [{ not: a }, b] });
    expect(parse('not (params.a = 1 or params.b = 2)')).toEqual({ not: { or: [a, b] } });
    expect(parse('NOT NOT params.a = 1')).toEqual({ not: { not: a } });
  });

  it('reads every operator, keywords in any case', () => {
    const ops = ['=', '!=', '<', '<=', '>', '>='];
    for (const op of ops) expect(parse(`params.x ${op} 'v'`)).toEqual(cmp(param('x'), op, str('v')));
    expect(parse("params.x <> 'v'")).toEqual(cmp(param('x'), '!=', str('v')));
    expect(parse("tags.x like 'a%'")).toEqual(cmp(tag('x'), 'LIKE', str('a%')));
    expect(parse("tags.x ILike 'a%'")).toEqual(cmp(tag('x'), 'ILIKE', str('a%')));
    expect(parse("tags.x not like 'a%'")).toEqual(cmp(tag('x'), 'NOT LIKE', str('a%')));
    expect(parse("tags.x NOT ILIKE 'a%'")).toEqual(cmp(tag('x'), 'NOT ILIKE', str('a%')));
    expect(parse("tags.x in ('a', 2)")).toEqual({ kind: 'list', key: tag('x'), op: 'IN', values: [str('a'), num('2')] });
    expect(parse("tags.x Not In ('a')")).toEqual({ kind: 'list', key: tag('x'), op: 'NOT IN', values: [str('a')] });
    expect(parse('tags.x is null')).toEqual({ kind: 'null', key: tag('x'), op: 'IS NULL' });
    expect(parse('tags.x IS NOT NULL')).toEqual({ kind: 'null', key: tag('x'), op: 'IS NOT NULL' });
  });

  it('reads quoted, backquoted and space-separated names', () => {
    expect(parse('params."learning rate" > 0.1')).toEqual(cmp(param('learning rate'), '>', num('0.1')));
    expect(parse("tags.`my-tag` = 'x'")).toEqual(cmp(tag('my-tag'), '=', str('x')));
    expect(parse("tags.'odd \"name\"' = 'x'")).toEqual(cmp(tag('odd "name"'), '=', str('x')));
    expect(parse('params.learning rate > 0.1')).toEqual(cmp(param('learning rate'), '>', num('0.1')));
    expect(parse('params.a b c IS NULL')).toEqual({ kind: 'null', key: param('a b c'), op: 'IS NULL' });
    expect(parse("tags.mlflow.source-name/x = 'y'")).toEqual(cmp(tag('mlflow.source-name/x'), '=', str('y')));
  });

  it('reads attributes and their MLflow spellings', () => {
    expect(parse("name = 'a'")).toEqual(cmp(attr('name'), '=', str('a')));
    expect(parse("run_name = 'a'")).toEqual(cmp(attr('name'), '=', str('a')));
    expect(parse("attributes.run_name = 'a'")).toEqual(cmp(attr('name'), '=', str('a')));
    expect(parse("attribute.status = 'failed'")).toEqual(cmp(attr('status'), '=', str('FAILED')));
    expect(parse("STATUS = 'Killed'")).toEqual(cmp(attr('status'), '=', str('KILLED')));
    expect(parse("status LIKE 'RUN%'")).toEqual(cmp(attr('status'), 'LIKE', str('RUN%')));
    expect(parse('param.x IS NULL')).toEqual({ kind: 'null', key: param('x'), op: 'IS NULL' });
  });

  it('normalises times: ISO-8601 (no zone: UTC) and epoch milliseconds', () => {
    const time = (value: string) => ({ type: 'time', value });
    expect(parse("start_time >= '2024-05-01'")).toEqual(cmp(attr('start_time'), '>=', time('2024-05-01T00:00:00Z')));
    expect(parse("end_time < '2024-05-01 12:30'")).toEqual(cmp(attr('end_time'), '<', time('2024-05-01T12:30:00Z')));
    expect(parse("created_at > '2024-05-01T12:30:05.123456+0530'")).toEqual(
      cmp(attr('created_at'), '>', time('2024-05-01T12:30:05.123456+05:30')),
    );
    expect(parse("attributes.start_time = '2024-02-29T00:00:00z'")).toEqual(
      cmp(attr('start_time'), '=', time('2024-02-29T00:00:00Z')),
    );
    expect(parse('start_time > 1714521600000')).toEqual(cmp(attr('start_time'), '>', time('2024-05-01T00:00:00.000Z')));
  });

  it('normalises UUIDs to lower case', () => {
    expect(parse("experiment_id IN ('0B6FA6BA-1C52-4A0F-9E39-2F8A3C6B8D11')")).toEqual({
      kind: 'list',
      key: attr('experiment_id'),
      op: 'IN',
      values: [str('0b6fa6ba-1c52-4a0f-9e39-2f8a3c6b8d11')],
    });
  });

  it('accepts up to the limits', () => {
    const hundred = Array.from({ length: 100 }, (_, i) => `params.p${i} = 1`).join(' OR ');
    expect(parse(hundred)).toMatchObject({ or: expect.any(Array) });
    const twenty = `${'('.repeat(20)}name = 'x'${')'.repeat(20)}`;
    expect(parse(twenty)).toEqual(cmp(attr('name'), '=', str('x')));
    const list = `params.x IN (${Array.from({ length: 1000 }, (_, i) => i).join(',')})`;
    expect(parseRunFilter(list)).toMatchObject({ kind: 'list', values: expect.any(Array) });
    expect(parseRunFilter(`name = '${'x'.repeat(3990)}'`)).toMatchObject({ kind: 'compare' });
  });
});
