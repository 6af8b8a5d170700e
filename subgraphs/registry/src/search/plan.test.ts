import { describe, expect, it } from 'vitest';
import type { FilterExpr } from './ast';
import { parseRunFilter } from './parser';
import { planRunSearch } from './plan';

/** The tree without positions. */
function shape(node: FilterExpr | null): unknown {
  if (!node) return null;
  if (node.kind === 'and' || node.kind === 'or') return { [node.kind]: node.operands.map(shape) };
  if (node.kind === 'not') return { not: shape(node.operand) };
  const { position: _position, ...rest } = node;
  return rest;
}
const parse = (text: string) => shape(parseRunFilter(text));
const metric = (name: string, aggregate = 'last') => ({ kind: 'metric', name, aggregate });
const num = (value: string) => ({ type: 'number', value });

describe('metric and config keys', () => {
  it('reads metrics.<name> as the last value and min()/max()/last() as aggregates', () => {
    expect(parse('metrics.val_loss < 0.5')).toEqual({ kind: 'compare', key: metric('val_loss'), op: '<', value: num('0.5') });
    expect(parse('MIN(metrics.val_loss) <= 1e-3')).toEqual({
      kind: 'compare',
      key: metric('val_loss', 'min'),
      op: '<=',
      value: num('1e-3'),
    });
    expect(parse('max( metric.eval/acc ) IN (1, 2)')).toEqual({
      kind: 'list',
      key: metric('eval/acc', 'max'),
      op: 'IN',
      values: [num('1'), num('2')],
    });
    expect(parse('last(metrics."train.loss") IS NULL')).toEqual({ kind: 'null', key: metric('train.loss'), op: 'IS NULL' });
  });

  it('reads config paths: dotted, quoted last segment, running on over spaces', () => {
    expect(parse('config.optimizer.lr > 1e-4')).toEqual({
      kind: 'compare',
      key: { kind: 'config', path: ['optimizer', 'lr'] },
      op: '>',
      value: num('1e-4'),
    });
    expect(parse('config.model."hidden size" = 4096')).toMatchObject({ key: { kind: 'config', path: ['model', 'hidden size'] } });
    expect(parse('config.model.hidden size = 4096')).toMatchObject({ key: { kind: 'config', path: ['model', 'hidden size'] } });
    expect(parse('config.layers.0.width IS NOT NULL')).toMatchObject({ key: { kind: 'config', path: ['layers', '0', 'width'] } });
  });

  it('refuses more metric names than the limit, and config paths deeper than it', () => {
    const many = Array.from({ length: 21 }, (_, i) => `metrics.m${i} > 0`).join(' AND ');
    expect(() => parseRunFilter(many)).toThrow(/more than 20 different metrics/);
    expect(() => parseRunFilter(`config.${Array.from({ length: 33 }, () => 'a').join('.')} = 1`)).toThrow(/33 segments/);
  });
});

describe('planRunSearch', () => {
  it('compiles a filter without metrics to SQL alone', () => {
    const plan = planRunSearch("params.opt = 'adam'", { alias: 'r' });
    expect(plan.metrics).toBeUndefined();
    expect(plan.where.text).toBe('((r.params ->> $1::text) = $2::text)');
  });

  it('sends AND terms without metrics to SQL and metric terms to the metrics service', () => {
    const plan = planRunSearch("params.opt = 'adam' AND min(metrics.loss) < 0.5 AND metrics.acc >= 0.9", { alias: 'r' });
    expect(plan.where.text).toBe('((r.params ->> $1::text) = $2::text)');
    expect(plan.metrics).toEqual({
      condition: {
        kind: 'and',
        operands: [
          { kind: 'compare', metric: { name: 'loss', aggregate: 'min' }, op: '<', value: 0.5 },
          { kind: 'compare', metric: { name: 'acc', aggregate: 'last' }, op: '>=', value: 0.9 },
        ],
      },
      flags: [],
    });
  });

  it('turns the registry parts of a mixed term into flags and narrows SQL by its relaxation', () => {
    const plan = planRunSearch("(tags.team = 'nlp' AND status = 'FAILED') OR metrics.loss < 1", { alias: 'r' });
    // a metric comparison may match anything: the term relaxes to TRUE, nothing to narrow
    expect(plan.where.text).toBe('TRUE');
    expect(plan.metrics?.condition).toEqual({
      kind: 'or',
      operands: [
        { kind: 'flag', index: 0 },
        { kind: 'compare', metric: { name: 'loss', aggregate: 'last' }, op: '<', value: 1 },
      ],
    });
    expect(plan.metrics?.flags.map((f) => f.text)).toEqual([
      '(((r.tags ->> $1::text) = $2::text) AND (r.status::text = $3::text))',
    ]);

    const narrowed = planRunSearch("name = 'a' AND (params.x = 'y' AND NOT metrics.loss IS NULL)", { alias: 'r' });
    expect(narrowed.where.text).toBe('(r.name = $1::text) AND ((r.params ->> $2::text) = $3::text)');
    expect(narrowed.metrics?.condition).toEqual({
      kind: 'and',
      operands: [
        { kind: 'flag', index: 0 },
        { kind: 'not', operand: { kind: 'null', metric: { name: 'loss', aggregate: 'last' }, negate: false } },
      ],
    });
  });

  it('relaxes under NOT the other way: a metric comparison under NOT counts as FALSE', () => {
    // NOT (x AND m): the runs where x holds may still match (m false), so nothing is ruled out
    expect(planRunSearch("NOT (params.x = 'y' AND metrics.m > 1)", { alias: 'r' }).where.text).toBe('TRUE');
    // NOT (x OR m) needs x false: SQL keeps only the runs where x is not true
    expect(planRunSearch("NOT (params.x = 'y' OR metrics.m > 1)", { alias: 'r' }).where.text).toBe(
      '(((r.params ->> $1::text) = $2::text) IS NOT TRUE)',
    );
  });

  it('maps IN, NOT IN and IS [NOT] NULL', () => {
    expect(planRunSearch('metrics.a NOT IN (1, 2.5) AND max(metrics.b) IS NOT NULL').metrics?.condition).toEqual({
      kind: 'and',
      operands: [
        { kind: 'in', metric: { name: 'a', aggregate: 'last' }, negate: true, values: [1, 2.5] },
        { kind: 'null', metric: { name: 'b', aggregate: 'max' }, negate: true },
      ],
    });
  });
});
