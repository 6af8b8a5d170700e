/**
 * METRICS_INTERNAL.rank against chdb, through real HTTP with callInternal:
 * candidate runs ordered by a metric's last, min or max (runs without it last,
 * ties by id), filtered by metric conditions and the registry's flags, a page
 * per group with its total, stable cursors, one ClickHouse query per call
 * whatever the number of runs, and bodies it cannot take refused.
 */
import { randomUUID } from 'node:crypto';
import type { Caller } from '@lab/shared';
import {
  callInternal,
  InternalCallError,
  METRICS_INTERNAL,
  type MetricAggregate,
  type RankCondition,
  type RankRunsRequest,
  type RankRunsResult,
} from '@lab/shared/internal';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ValidPoint } from '../store/types';
import { startTestMetrics, type TestMetrics } from '../testing/testMetrics';

const REGISTRY: Caller = { id: 'registry', kind: 'service', scopes: ['*'] };
const T0 = Math.floor((Date.now() - 3_600_000) / 1000) * 1000;

let t: TestMetrics;
const experimentId = randomUUID();
/** Runs 0..11: loss for all but 10 and 11, acc for the even ones; two runs share their loss values (a tie). */
const runs: string[] = Array.from({ length: 12 }, () => randomUUID());
const logged = new Map<string, Map<string, number[]>>();

function lossOf(i: number): number[] {
  if (i === 3) return lossOf(5); // the same values as run 5: ties break by id
  return Array.from({ length: 20 }, (_, step) => 10 + ((i * 7) % 11) - step * 0.25 + (step === 7 ? i : 0));
}

async function log(runId: string, name: string, values: number[]) {
  const rows = values.map((value, step) => ({
    runId,
    experimentId,
    name,
    step,
    value,
    timestampMs: T0 + step * 1000,
    tags: {},
  })) as (ValidPoint & { runId: string; experimentId: string })[];
  await t.metrics.store.ingest.insert(rows, undefined);
  const byName = logged.get(runId) ?? new Map();
  byName.set(name, values);
  logged.set(runId, byName);
}

/** A metric's aggregate of a run as logged here (null without it). */
function summaryOf(runId: string, name: string, aggregate: MetricAggregate): number | null {
  const values = logged.get(runId)?.get(name);
  if (!values) return null;
  if (aggregate === 'min') return Math.min(...values);
  if (aggregate === 'max') return Math.max(...values);
  return values.at(-1) as number;
}

/** The runs in the documented order: by value, runs without it last, ties by id, all in the direction. */
function expectedOrder(ids: string[], name: string, aggregate: MetricAggregate, direction: 'ASC' | 'DESC'): string[] {
  const sign = direction === 'ASC' ? 1 : -1;
  return [...ids].sort((a, b) => {
    const va = summaryOf(a, name, aggregate);
    const vb = summaryOf(b, name, aggregate);
    if (va === null || vb === null) return va === vb ? sign * a.localeCompare(b) : va === null ? 1 : -1;
    return va === vb ? sign * a.localeCompare(b) : sign * (va - vb);
  });
}

function rank(body: RankRunsRequest | unknown, caller: Caller = REGISTRY): Promise<RankRunsResult> {
  return callInternal<RankRunsResult>(t.metrics.url, METRICS_INTERNAL.rank, body, {
    internalSecret: t.secret,
    caller,
    requestId: randomUUID(),
  });
}

/** Every page of size `size`, following the last run's (value, id) as the cursor. */
async function walk(request: Omit<RankRunsRequest, 'limit'>, size: number): Promise<{ ids: string[]; totals: number[] }> {
  const ids: string[] = [];
  const totals: number[] = [];
  let order = request.order;
  for (let page = 0; page < 50; page++) {
    const answer = await rank({ ...request, order, limit: size + 1 });
    const group = answer.groups[0] as RankRunsResult['groups'][number];
    totals.push(group.total);
    const shown = group.runs.slice(0, size);
    ids.push(...shown.map((r) => r.runId));
    const last = shown.at(-1);
    if (group.runs.length <= size || !last || order.kind !== 'metric') break;
    order = { ...order, after: { value: last.value, runId: last.runId } };
  }
  return { ids, totals };
}

beforeAll(async () => {
  t = await startTestMetrics('rank');
  for (const [i, runId] of runs.entries()) {
    if (i < 10) await log(runId, 'loss', lossOf(i));
    if (i % 2 === 0) await log(runId, 'acc', [0.1 * i, 0.1 + 0.2 * i, 0.05 * i]);
  }
}, 120_000);

afterAll(async () => {
  await t?.stop();
});

describe('order', () => {
  it.each([
    ['min', 'ASC'],
    ['min', 'DESC'],
    ['max', 'ASC'],
    ['last', 'DESC'],
  ] as const)('pages every run once by %s(loss) %s, runs without it last, ties by id', async (aggregate, direction) => {
    const order = { kind: 'metric', metric: { name: 'loss', aggregate }, direction } as const;
    const { ids, totals } = await walk({ runIds: runs, order }, 3);
    expect(ids).toEqual(expectedOrder(runs, 'loss', aggregate, direction));
    expect(new Set(totals)).toEqual(new Set([12]));
    const first = await rank({ runIds: runs, order, limit: 2 });
    expect(first.groups[0]?.runs.map((r) => r.value)).toEqual(ids.slice(0, 2).map((id) => summaryOf(id, 'loss', aggregate)));
  });

  it('starts after a cursor on a run without the metric, and on an exact float value', async () => {
    const order = { kind: 'metric', metric: { name: 'acc', aggregate: 'max' }, direction: 'ASC' } as const;
    const all = expectedOrder(runs, 'acc', 'max', 'ASC');
    const withoutAcc = all.filter((id) => summaryOf(id, 'acc', 'max') === null);
    const afterNull = await rank({ runIds: runs, order: { ...order, after: { value: null, runId: withoutAcc[0] } }, limit: 20 });
    expect(afterNull.groups[0]?.runs.map((r) => r.runId)).toEqual(withoutAcc.slice(1));
    // 0.1 + 0.2 * 2 is 0.5 here, 0.1 + 0.2 * 4 is 0.9000000000000001: the cursor's value compares bit for bit
    const pivot = all[3] as string;
    const after = await rank({
      runIds: runs,
      order: { ...order, after: { value: summaryOf(pivot, 'acc', 'max'), runId: pivot } },
      limit: 20,
    });
    expect(after.groups[0]?.runs.map((r) => r.runId)).toEqual(all.slice(4));
  });
});

describe('conditions', () => {
  const metric = (name: string, aggregate: MetricAggregate = 'last') => ({ name, aggregate });
  const cases: [string, RankCondition, (id: string) => boolean][] = [
    [
      'min(loss) < 6',
      { kind: 'compare', metric: metric('loss', 'min'), op: '<', value: 6 },
      (id) => (summaryOf(id, 'loss', 'min') ?? Infinity) < 6,
    ],
    ['acc IS NULL', { kind: 'null', metric: metric('acc'), negate: false }, (id) => summaryOf(id, 'acc', 'last') === null],
    [
      'NOT max(loss) >= 15 (the complement: runs without loss too)',
      { kind: 'not', operand: { kind: 'compare', metric: metric('loss', 'max'), op: '>=', value: 15 } },
      (id) => !((summaryOf(id, 'loss', 'max') ?? -Infinity) >= 15),
    ],
    [
      'acc IN (0, 0.2) OR acc != 0.4',
      {
        kind: 'or',
        operands: [
          { kind: 'in', metric: metric('acc'), negate: false, values: [0, 0.2] },
          { kind: 'compare', metric: metric('acc'), op: '!=', value: 0.4 },
        ],
      },
      (id) => {
        const acc = summaryOf(id, 'acc', 'last');
        return acc !== null && ([0, 0.2].includes(acc) || acc !== 0.4);
      },
    ],
    [
      'flag 1 AND loss IS NOT NULL',
      {
        kind: 'and',
        operands: [
          { kind: 'flag', index: 1 },
          { kind: 'null', metric: metric('loss'), negate: true },
        ],
      },
      (id) => runs.indexOf(id) % 3 === 0 && summaryOf(id, 'loss', 'last') !== null,
    ],
  ];

  it.each(cases)('%s', async (_name, condition, matches) => {
    const flags = runs.map((_, i) => `0${i % 3 === 0 ? 1 : 0}`);
    const order = { kind: 'metric', metric: metric('loss', 'min'), direction: 'ASC' } as const;
    const answer = await rank({ runIds: runs, flags, condition, order, limit: 100 });
    const expected = expectedOrder(runs.filter(matches), 'loss', 'min', 'ASC');
    expect(answer.groups[0]?.runs.map((r) => r.runId)).toEqual(expected);
    expect(answer.groups[0]?.total).toBe(expected.length);
  });
});

describe('groups and the given order', () => {
  it('answers a page and a total per group; a group with no match has total 0', async () => {
    const groups = runs.map((_, i) => (i < 6 ? 0 : i < 11 ? 2 : 1));
    const condition: RankCondition = { kind: 'compare', metric: { name: 'loss', aggregate: 'last' }, op: '<', value: 100 };
    const order = { kind: 'metric', metric: { name: 'loss', aggregate: 'last' }, direction: 'DESC' } as const;
    const answer = await rank({ runIds: runs, groups, condition, order, limit: 2 });
    expect(answer.groups).toHaveLength(3);
    const inGroup = (g: number) => runs.filter((_, i) => groups[i] === g && i < 10);
    expect(answer.groups[0]).toEqual({
      total: 6,
      runs: expectedOrder(inGroup(0), 'loss', 'last', 'DESC')
        .slice(0, 2)
        .map((runId) => ({ runId, value: summaryOf(runId, 'loss', 'last') })),
    });
    expect(answer.groups[1]).toEqual({ total: 0, runs: [] });
    expect(answer.groups[2]?.total).toBe(4);
  });

  it('keeps the order the runs came in and starts each group at its firstAfter', async () => {
    const groups = runs.map((_, i) => (i < 6 ? 0 : 1));
    const condition: RankCondition = { kind: 'null', metric: { name: 'acc', aggregate: 'last' }, negate: true };
    const answer = await rank({ runIds: runs, groups, condition, order: { kind: 'given', firstAfter: [2, 9] }, limit: 10 });
    expect(answer.groups.map((g) => g.total)).toEqual([3, 3]);
    expect(answer.groups[0]?.runs.map((r) => r.runId)).toEqual([runs[2], runs[4]]);
    expect(answer.groups[1]?.runs.map((r) => r.runId)).toEqual([runs[10]]);
  });
});

describe('cost and limits', () => {
  it('answers 10,000 candidates in one ClickHouse query', async () => {
    const queries: string[] = [];
    t.metrics.store.ranking.onQuery = (e) => queries.push(e.query);
    try {
      const many = [...runs, ...Array.from({ length: 10_000 - runs.length }, () => randomUUID())];
      const order = { kind: 'metric', metric: { name: 'loss', aggregate: 'min' }, direction: 'ASC' } as const;
      const answer = await rank({ runIds: many, order, limit: 3 });
      expect(answer.groups[0]?.total).toBe(10_000);
      expect(answer.groups[0]?.runs.map((r) => r.runId)).toEqual(expectedOrder(runs, 'loss', 'min', 'ASC').slice(0, 3));
      expect(queries).toHaveLength(1);
    } finally {
      t.metrics.store.ranking.onQuery = undefined;
    }
  });

  it('refuses bodies it cannot take with 400 BAD_USER_INPUT, and callers other than the registry', async () => {
    const order = { kind: 'metric', metric: { name: 'loss', aggregate: 'min' }, direction: 'ASC' };
    const ok = { runIds: [runs[0]], order, limit: 5 };
    const bad: unknown[] = [
      {},
      { ...ok, runIds: [] },
      { ...ok, runIds: ['nope'] },
      { ...ok, limit: 0 },
      { ...ok, limit: 1002 },
      { ...ok, extra: 1 },
      { ...ok, order: { kind: 'metric', metric: { name: 'bad name', aggregate: 'min' }, direction: 'ASC' } },
      { ...ok, order: { kind: 'metric', metric: { name: 'loss', aggregate: 'avg' }, direction: 'ASC' } },
      { ...ok, order: { kind: 'given' } },
      { ...ok, order: { kind: 'given', firstAfter: [5] }, condition: { kind: 'null', metric: order.metric, negate: false } },
      { ...ok, condition: { kind: 'flag', index: 0 } },
      { ...ok, flags: ['2'] },
      { ...ok, groups: [1, 2] },
      { ...ok, condition: { kind: 'compare', metric: order.metric, op: '~', value: 1 } },
      { ...ok, condition: { kind: 'compare', metric: order.metric, op: '<', value: 'x' } },
      { ...ok, order: { ...order, after: { value: 1, runId: 'nope' } } },
    ];
    for (const body of bad) {
      const err = await rank(body).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, JSON.stringify(body)).toBeInstanceOf(InternalCallError);
      expect(err).toMatchObject({ status: 400, code: 'BAD_USER_INPUT', transient: false });
    }
    const stranger = await rank(ok, { id: 'gateway', kind: 'service', scopes: ['*'] }).catch((e: unknown) => e);
    expect(stranger).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
  });
});
