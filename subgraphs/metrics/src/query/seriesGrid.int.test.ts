/**
 * Series for charts on chdb, through the metrics subgraph's GraphQL: step-range
 * zoom (exact points, narrow and wide buckets, the step_blocks projection),
 * "never logged" told apart from "nothing in the range", and compareRuns on one
 * step grid per metric, several metrics in one ClickHouse query.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClickHouseClient, createClickHouse } from '../store/clickhouseClient';
import type { MetricRow, QueryEvent } from '../store/types';
import {
  bucketsOn,
  type ExpectedPoint,
  exactPoints,
  expectedSeries,
  extent,
  gridOf,
  inRange,
  type Point,
} from '../testing/expectedSeries';
import { startTestMetrics, type TestMetrics } from '../testing/testMetrics';

let t: TestMetrics;
let raw: ClickHouseClient;
const queries: QueryEvent[] = [];
/** Whole seconds two days ago: inside the retention. */
const T0 = Math.floor((Date.now() - 2 * 86_400_000) / 1000) * 1000;

async function insert(runId: string, name: string, points: readonly Point[]): Promise<void> {
  for (let i = 0; i < points.length; i += 100_000) {
    const rows: MetricRow[] = points.slice(i, i + 100_000).map((p) => ({
      runId,
      experimentId: t.experimentId,
      name,
      step: p.step,
      value: p.value,
      timestampMs: T0 + p.step,
      tags: {},
    }));
    await t.metrics.store.ingest.insert(rows, undefined);
  }
}

const line = (n: number, f: (step: number) => number, start = 0, every = 1): Point[] =>
  Array.from({ length: n }, (_, i) => ({ step: start + i * every, value: f(start + i * every) }));

const SERIES = `query($id: ID!, $name: String!, $max: Int, $fromStep: Float, $toStep: Float, $from: DateTime, $to: DateTime) {
  _entities(representations: [{ __typename: "Run", id: $id }]) { ... on Run {
    metricSeries(name: $name, maxPoints: $max, fromStep: $fromStep, toStep: $toStep, from: $from, to: $to) {
      name logged exact bucketWidth points { bucketStart step timestamp value min max count } } } } }`;
const COMPARE = `query($ids: [ID!]!, $name: String, $names: [String!], $max: Int, $fromStep: Float, $toStep: Float) {
  compareRuns(runIds: $ids, name: $name, names: $names, maxPoints: $max, fromStep: $fromStep, toStep: $toStep) {
    runId name run { id } series { name logged exact bucketWidth points { bucketStart step value min max count } } } }`;

interface SeriesOut {
  name: string;
  logged: boolean;
  exact: boolean;
  bucketWidth: number | null;
  points: (ExpectedPoint & { timestamp?: string })[];
}

async function series(runId: string, vars: Record<string, unknown>): Promise<SeriesOut> {
  const result = await t.gql(t.viewer, SERIES, { id: runId, ...vars });
  expect(result.errors).toBeUndefined();
  return result.data._entities[0].metricSeries;
}

const plain = (s: SeriesOut) => ({
  exact: s.exact,
  bucketWidth: s.bucketWidth,
  points: s.points.map(({ bucketStart, step, value, min, max, count }) => ({ bucketStart, step, value, min, max, count })),
});

// 300,001 points from step 1,007 (not a multiple of 256) with one spike; logged
// as odd steps then even steps, so every block spans two parts.
const LONG = line(300_001, (s) => (s === 123_457 ? -1e9 : Math.round(Math.sin(s / 777) * 1e6) / 1e6), 1007);
let long: string;

beforeAll(async () => {
  t = await startTestMetrics('series-grid');
  raw = await createClickHouse(t.config);
  t.metrics.store.query.onQuery = (e) => queries.push(e);
  long = await t.newRun('long');
  await insert(
    long,
    'loss',
    LONG.filter((p) => p.step % 2 === 1),
  );
  await insert(
    long,
    'loss',
    LONG.filter((p) => p.step % 2 === 0),
  );
}, 180_000);

afterAll(async () => {
  await raw?.close();
  await t?.stop();
});

describe('Run.metricSeries(fromStep, toStep)', () => {
  it('zooms into 1,000 steps of a long series: those points exactly, as logged', async () => {
    for (const [fromStep, toStep] of [
      [123_000, 123_999],
      [1007, 2006],
      [300_008, 301_007],
    ] as const) {
      queries.length = 0;
      const got = await series(long, { name: 'loss', max: 1000, fromStep, toStep });
      expect(queries.map((q) => q.kind)).toEqual(['series']);
      expect(got.logged).toBe(true);
      expect(plain(got)).toEqual({ exact: true, bucketWidth: null, points: exactPoints(inRange(LONG, fromStep, toStep)) });
      expect(got.points).toHaveLength(1000);
      for (const p of got.points) expect(p.timestamp).toBe(new Date(T0 + p.step).toISOString());
    }
    const spike = await series(long, { name: 'loss', max: 5000, fromStep: 123_000, toStep: 123_999 });
    expect(spike.points.filter((p) => p.min === -1e9).map((p) => p.step)).toEqual([123_457]);
  });

  it('buckets a range holding more than maxPoints points on the grid fromStep..toStep', async () => {
    for (const [max, fromStep, toStep] of [
      [100, 100_000, 109_999], // 100 steps a bucket, from the points
      [7, 123_000, 123_999],
      [1000, 1500, 301_007], // whole 256-step blocks, from the projection
      [300, 5, 150_000],
      [1, 0, 2 ** 53 - 1],
    ] as const) {
      const got = await series(long, { name: 'loss', max, fromStep, toStep });
      expect(plain(got)).toEqual(expectedSeries(LONG, max, fromStep, toStep));
      expect(got.points.length).toBeLessThanOrEqual(max);
      const inside = inRange(LONG, fromStep, toStep);
      expect(got.points.reduce((n, p) => n + p.count, 0)).toBe(inside.length);
      if (inside.some((p) => p.value === -1e9)) expect(got.points.filter((p) => p.min === -1e9)).toHaveLength(1);
    }
  });

  it('takes one bound alone: the other end is the series', async () => {
    for (const vars of [{ fromStep: 250_000 }, { toStep: 40_000 }, { fromStep: 300_500 }, { toStep: 1200 }]) {
      const got = await series(long, { name: 'loss', max: 500, ...vars });
      expect(plain(got)).toEqual(expectedSeries(LONG, 500, vars.fromStep, vars.toStep));
    }
  });

  it('reads the step_blocks projection for a wide range, and the points of a zoom', async () => {
    queries.length = 0;
    await series(long, { name: 'loss', max: 1000, fromStep: 20_000, toStep: 290_000 });
    const plan = async (event: QueryEvent | undefined) => {
      const result = await raw.query({
        query: `EXPLAIN ${event?.query}`,
        query_params: event?.params,
        format: 'TabSeparatedRaw',
      });
      return result.text();
    };
    expect(await plan(queries.at(-1))).toContain('ReadFromMergeTree (step_blocks)');
    queries.length = 0;
    await series(long, { name: 'loss', max: 1000, fromStep: 20_000, toStep: 20_999 });
    const zoom = await plan(queries.at(-1));
    expect(zoom).toMatch(/ReadFromMergeTree \(\S*experiment_metrics\)/);
  });

  it('refuses a step range that is not one: BAD_USER_INPUT', async () => {
    for (const vars of [{ fromStep: 10, toStep: 9 }, { fromStep: -1 }, { toStep: -5 }, { fromStep: 1.5 }, { toStep: 2 ** 53 }]) {
      const result = await t.gql(t.viewer, SERIES, { id: long, name: 'loss', ...vars });
      expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(result.errors?.[0]?.message).toMatch(/fromStep|toStep/);
    }
  });
});

describe('a metric never logged vs an empty range', () => {
  it('answers logged: false for a name the run never logged, logged: true with no points for an empty range', async () => {
    expect(await series(long, { name: 'accuracy' })).toEqual({
      name: 'accuracy',
      logged: false,
      exact: true,
      bucketWidth: null,
      points: [],
    });
    expect(await series(long, { name: 'accuracy', fromStep: 0, toStep: 10 })).toMatchObject({ logged: false, points: [] });
    for (const vars of [
      { fromStep: 0, toStep: 1006 },
      { fromStep: 400_000 },
      { from: new Date(T0 + 400_000).toISOString() },
      { to: new Date(T0).toISOString() },
    ]) {
      expect(await series(long, { name: 'loss', ...vars })).toEqual({
        name: 'loss',
        logged: true,
        exact: true,
        bucketWidth: null,
        points: [],
      });
    }
    const compare = await t.gql(t.viewer, COMPARE, { ids: [long], names: ['loss', 'accuracy'], fromStep: 0, toStep: 5 });
    expect(compare.data.compareRuns.map((r: { series: SeriesOut }) => [r.series.name, r.series.logged])).toEqual([
      ['loss', true],
      ['accuracy', false],
    ]);
  });
});

describe('Query.compareRuns on one step grid', () => {
  // Three runs over different steps, two metrics each (acc every 10 steps).
  const A = line(50_000, (s) => Math.cos(s / 100));
  const Bs = line(90_000, (s) => (s === 77_777 ? 1e6 : s / 1e5), 10_000);
  const C = line(300, (s) => -s, 5);
  const ACC = line(2_000, (s) => s / 1e3, 0, 10);
  let ids: string[];

  beforeAll(async () => {
    ids = [await t.newRun('a'), await t.newRun('b'), await t.newRun('c')];
    const [a, b, c] = ids as [string, string, string];
    await insert(a, 'loss', A);
    await insert(b, 'loss', Bs);
    await insert(c, 'loss', C);
    for (const id of ids) await insert(id, 'acc', ACC);
  }, 120_000);

  const expectedOn = (points: readonly Point[], max: number, grid: { origin: number; width: number }) =>
    points.length <= max
      ? { exact: true, bucketWidth: null, points: exactPoints(points) }
      : { exact: false, bucketWidth: grid.width, points: bucketsOn(points, grid) };

  it('buckets every run of a metric on the same boundaries, several metrics in ONE query, in the order asked', async () => {
    queries.length = 0;
    const result = await t.gql(t.viewer, COMPARE, { ids, name: 'loss', names: ['acc', 'loss'], max: 300 });
    expect(result.errors).toBeUndefined();
    expect(queries.map((q) => q.kind)).toEqual(['series']);
    const out = result.data.compareRuns as { runId: string; name: string; run: { id: string }; series: SeriesOut }[];
    expect(out.map((r) => [r.runId, r.name])).toEqual(
      ids.flatMap((id) => [
        [id, 'loss'],
        [id, 'acc'],
      ]),
    );
    // loss: the union of the runs' steps is 0..99,999; C (300 points) is exact.
    const lossGrid = gridOf(0, 99_999, 300);
    expect(lossGrid).toEqual({ origin: 0, width: 512 }); // whole blocks: from the projection
    [A, Bs, C].forEach((points, i) => {
      expect(plain(out[2 * i]?.series as SeriesOut)).toEqual(expectedOn(points, 300, lossGrid));
    });
    const accGrid = gridOf(0, 19_990, 300);
    for (const i of [0, 1, 2]) expect(plain(out[2 * i + 1]?.series as SeriesOut)).toEqual(expectedOn(ACC, 300, accGrid));
    // Overlaid curves line up: every bucket of every run starts on the grid.
    const starts = [out[0], out[2]].flatMap((r) => r?.series.points.map((p) => p.bucketStart) ?? []);
    for (const s of starts) expect((s - lossGrid.origin) % lossGrid.width).toBe(0);
    expect(out[2]?.series.points.filter((p) => p.max === 1e6)).toHaveLength(1);
  });

  it('takes the grid from fromStep..toStep when given', async () => {
    const result = await t.gql(t.viewer, COMPARE, { ids, names: ['loss'], max: 100, fromStep: 20_000, toStep: 29_999 });
    expect(result.errors).toBeUndefined();
    const grid = gridOf(20_000, 29_999, 100);
    const [a, b, c] = result.data.compareRuns as { series: SeriesOut }[];
    expect(plain(a?.series as SeriesOut)).toEqual(expectedOn(inRange(A, 20_000, 29_999), 100, grid));
    expect(plain(b?.series as SeriesOut)).toEqual(expectedOn(inRange(Bs, 20_000, 29_999), 100, grid));
    expect(c?.series).toMatchObject({ logged: true, points: [] });
    expect(a?.series.bucketWidth).toBe(100);
    expect(a?.series.points.map((p) => p.bucketStart)).toEqual(b?.series.points.map((p) => p.bucketStart));
  });

  it('compares 20 runs in one ClickHouse query, the grid spanning only runs the caller may read', async () => {
    const many = [...ids];
    for (let i = many.length; i < 20; i++) {
      const id = await t.newRun(`many-${i}`);
      await insert(
        id,
        'loss',
        line(500 + i, (s) => s * i, i * 100),
      );
      many.push(id);
    }
    queries.length = 0;
    const result = await t.gql(t.viewer, COMPARE, { ids: many, names: ['loss', 'acc'], max: 200 });
    expect(result.errors).toBeUndefined();
    expect(queries).toHaveLength(1);
    expect(result.data.compareRuns).toHaveLength(40);
    const widths = new Set(
      (result.data.compareRuns as { name: string; series: SeriesOut }[])
        .filter((r) => r.name === 'loss' && !r.series.exact)
        .map((r) => r.series.bucketWidth),
    );
    expect([...widths]).toEqual([gridOf(0, extent([...A, ...Bs, ...C]).hi, 200).width]);

    // A run of another project: NOT_FOUND at its entries, and its steps do not stretch the grid.
    const project = await t.prisma.project.create({ data: { name: 'hidden', createdById: t.stranger.id } });
    const experiment = await t.prisma.experiment.create({ data: { projectId: project.id, name: 'h', ownerId: t.stranger.id } });
    const hidden = (await t.prisma.run.create({ data: { experimentId: experiment.id, name: 'h', createdById: t.stranger.id } }))
      .id;
    await insert(
      hidden,
      'loss',
      line(1000, (s) => s, 5_000_000),
    );
    const mixed = await t.gql(t.viewer, COMPARE, { ids: [ids[0], hidden], names: ['loss'], max: 400 });
    expect(mixed.data.compareRuns[1]).toMatchObject({ runId: hidden, name: 'loss', series: null });
    expect(mixed.errors?.map((e) => [e.extensions?.code, e.path])).toEqual([['NOT_FOUND', ['compareRuns', 1, 'series']]]);
    expect(plain(mixed.data.compareRuns[0].series)).toEqual(expectedSeries(A, 400));
  });

  it('refuses what it cannot answer with BAD_USER_INPUT, naming the caps', async () => {
    const id = ids[0] as string;
    for (const [vars, message] of [
      [{ ids: [id] }, /1 to 10 metric names/],
      [{ ids: [id], names: Array.from({ length: 11 }, (_, i) => `m${i}`) }, /1 to 10 metric names/],
      [{ ids: Array.from({ length: 101 }, () => id), name: 'loss' }, /1 to 100/],
      [{ ids: Array.from({ length: 100 }, () => id), names: ['a', 'b'], max: 10_000 }, /1,000,000/],
      [{ ids: [id], name: 'loss', fromStep: 3, toStep: 2 }, /fromStep/],
      [{ ids: [id], name: '' }, /1 to 200/],
    ] as const) {
      const result = await t.gql(t.viewer, COMPARE, vars);
      expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(result.errors?.[0]?.message).toMatch(message);
    }
    // The largest call allowed (100 runs × 10,000 points), on ids no one can read: refused per run, not as a whole.
    const most = await t.gql(t.viewer, COMPARE, { ids: Array.from({ length: 100 }, randomUUID), name: 'loss', max: 10_000 });
    expect(most.errors).toHaveLength(100);
    expect(new Set(most.errors?.map((e) => e.extensions?.code))).toEqual(new Set(['NOT_FOUND']));
  });
});
