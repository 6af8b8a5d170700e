/**
 * Metric reads end to end in one process: chdb in a temp dir, a real registry
 * subgraph (embedded PostgreSQL) answering the read-access checks, rows
 * inserted through the store.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startRegistry } from '@lab/registry';
import { PrismaClient } from '@lab/registry/prisma';
import { type Caller, CONTEXT_HEADER, type Config, createLogger, loadConfig, signContext } from '@lab/shared';
import { type EmbeddedPostgres, startEmbeddedPostgres } from '@lab/stack';
import { PrismaPg } from '@prisma/adapter-pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningMetrics, startMetrics } from '../service';
import { type ClickHouseClient, createClickHouse } from '../store/clickhouseClient';
import { STEP_BLOCK } from '../store/migrations';
import type { QueryEvent, SeriesPointRow, ValidPoint } from '../store/types';

const dir = mkdtempSync(path.join(tmpdir(), 'metrics-query-'));
const secret = 'q'.repeat(32);
const log = createLogger('metrics-query-test', { logLevel: 'silent', logFormat: 'json' });
let pg: EmbeddedPostgres;
let prisma: PrismaClient;
let registry: { url: string; stop(): Promise<void> };
let metrics: RunningMetrics;
let editor: Caller;
let viewer: Caller;
let stranger: Caller;
let experimentId: string;
let config: Config;
/** A second client on the same engine (chdb allows several at one path): plans and projection checks. */
let raw: ClickHouseClient;

interface GqlResult {
  // biome-ignore lint/suspicious/noExplicitAny: test answers are checked field by field
  data?: any;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
}

async function gql(caller: Caller, query: string, variables: Record<string, unknown> = {}): Promise<GqlResult> {
  const res = await fetch(`${metrics.url}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      [CONTEXT_HEADER]: signContext(secret, { requestId: randomUUID(), caller, query }),
    },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as GqlResult;
}

const T0 = Date.parse('2026-11-20T00:00:00.000Z');

async function newRun(name: string): Promise<string> {
  const run = await prisma.run.create({ data: { experimentId, name, createdById: editor.id } });
  return run.id;
}

/** Inserts points (chunks of 100k) of one run; timestamps T0 + step seconds unless given. */
async function insert(runId: string, points: { name: string; step: number; value: number; timestampMs?: number }[]) {
  for (let i = 0; i < points.length; i += 100_000) {
    const rows = points.slice(i, i + 100_000).map((p) => ({
      runId,
      experimentId,
      name: p.name,
      step: p.step,
      value: p.value,
      timestampMs: p.timestampMs ?? T0 + p.step * 1000,
      tags: {},
    })) as (ValidPoint & { runId: string; experimentId: string })[];
    await metrics.store.ingest.insert(rows, undefined);
  }
}

function line(name: string, n: number, f: (step: number) => number, start = 0) {
  return Array.from({ length: n }, (_, i) => ({ name, step: start + i, value: f(start + i) }));
}

const ENTITY_METRICS = `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Run { id metrics { name last min max count lastStep lastTimestamp } } } }`;
const ENTITY_SERIES = `query($reps: [_Any!]!, $name: String!, $max: Int, $from: DateTime, $to: DateTime) {
  _entities(representations: $reps) { ... on Run { id metricSeries(name: $name, maxPoints: $max, from: $from, to: $to) { name exact points { step timestamp value min max count } } } } }`;
const BOTH = `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Run { id metrics { name count } metricSeries(name: "loss", maxPoints: 10) { exact points { step } } } } }`;
const COMPARE = `query($ids: [ID!]!, $name: String!, $max: Int) { compareRuns(runIds: $ids, name: $name, maxPoints: $max) { runId run { id } series { exact points { step value min max count } } } }`;
const EXPERIMENT = `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Experiment { id metricSummary(name: "loss") { name runs min max mean minRunId maxRunId } } } }`;

const runs = (...ids: string[]) => ({ reps: ids.map((id) => ({ __typename: 'Run', id })) });

let small: string;
let long: string;
const queries: QueryEvent[] = [];

beforeAll(async () => {
  pg = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg') });
  const databaseUrl = new URL(pg.url);
  databaseUrl.pathname = '/lab';
  const base = { LAB_DATA_DIR: dir, LAB_INTERNAL_SECRET: secret, LOG_LEVEL: 'silent', DATABASE_URL: databaseUrl.href };
  registry = await startRegistry(loadConfig({ ...base, REGISTRY_PORT: '0' }), log);
  prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: databaseUrl.href }) });
  config = loadConfig({ ...base, METRICS_PORT: '0', REGISTRY_URL: `${registry.url}/graphql` });
  metrics = await startMetrics(config, log);
  raw = await createClickHouse(config);
  metrics.store.query.onQuery = (e) => queries.push(e);
  const [e, v, s] = await Promise.all(
    ['editor', 'viewer', 'stranger'].map((name) => prisma.user.create({ data: { email: `${name}@lab.test`, name } })),
  );
  editor = { id: e?.id as string, kind: 'user', scopes: ['*'] };
  viewer = { id: v?.id as string, kind: 'user', scopes: ['*'] };
  stranger = { id: s?.id as string, kind: 'user', scopes: ['*'] };
  const project = await prisma.project.create({ data: { name: 'metrics', createdById: editor.id } });
  await prisma.projectMember.createMany({
    data: [
      { projectId: project.id, userId: editor.id, role: 'EDITOR' },
      { projectId: project.id, userId: viewer.id, role: 'VIEWER' },
    ],
  });
  const experiment = await prisma.experiment.create({ data: { projectId: project.id, name: 'exp', ownerId: editor.id } });
  experimentId = experiment.id;
  small = await newRun('small');
  // loss 1/(step+1) at steps 0..99 (logged out of order), acc = step at 0..9.
  await insert(small, [...line('loss', 100, (s) => 1 / (s + 1))].reverse());
  await insert(
    small,
    line('acc', 10, (s) => s),
  );
  long = await newRun('long');
  // 100k points of a smooth line with one spike at step 54,321.
  await insert(
    long,
    line('loss', 100_000, (s) => (s === 54_321 ? 1e6 : Math.sin(s / 1000))),
  );
}, 120_000);

afterAll(async () => {
  await raw?.close();
  await metrics?.stop();
  await prisma?.$disconnect();
  await registry?.stop();
  await pg?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('Run.metrics', () => {
  it('summarises every metric of a run: last by step, min, max, count', async () => {
    const result = await gql(viewer, ENTITY_METRICS, runs(small));
    expect(result.errors).toBeUndefined();
    expect(result.data._entities[0].metrics).toEqual([
      { name: 'acc', last: 9, min: 0, max: 9, count: 10, lastStep: 9, lastTimestamp: new Date(T0 + 9000).toISOString() },
      {
        name: 'loss',
        last: 1 / 100,
        min: 1 / 100,
        max: 1,
        count: 100,
        lastStep: 99,
        lastTimestamp: new Date(T0 + 99_000).toISOString(),
      },
    ]);
  });

  it('is an empty list for a run without metrics', async () => {
    const empty = await newRun('empty');
    const result = await gql(viewer, ENTITY_METRICS, runs(empty));
    expect(result.data._entities[0].metrics).toEqual([]);
  });
});

describe('Run.metricSeries', () => {
  it('returns every point, exactly, when the series is short', async () => {
    const result = await gql(viewer, ENTITY_SERIES, { ...runs(small), name: 'loss', max: 100 });
    expect(result.errors).toBeUndefined();
    const series = result.data._entities[0].metricSeries;
    expect(series.exact).toBe(true);
    expect(series.points).toHaveLength(100);
    expect(series.points[0]).toEqual({
      step: 0,
      timestamp: new Date(T0).toISOString(),
      value: 1,
      min: 1,
      max: 1,
      count: 1,
    });
    expect(series.points.map((p: { step: number }) => p.step)).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('buckets a long series to at most maxPoints and keeps a single spike in a max', async () => {
    for (const max of [1000, 7, 1]) {
      const result = await gql(viewer, ENTITY_SERIES, { ...runs(long), name: 'loss', max });
      expect(result.errors).toBeUndefined();
      const series = result.data._entities[0].metricSeries;
      expect(series.exact).toBe(false);
      expect(series.points.length).toBeLessThanOrEqual(max);
      expect(series.points.length).toBeGreaterThan(max / 2);
      expect(series.points.reduce((n: number, p: { count: number }) => n + p.count, 0)).toBe(100_000);
      const spiky = series.points.filter((p: { max: number }) => p.max === 1e6);
      expect(spiky).toHaveLength(1);
      const steps = series.points.map((p: { step: number }) => p.step);
      expect(steps).toEqual([...steps].sort((a, b) => a - b));
      expect(steps.at(-1)).toBe(99_999);
    }
  });

  it('a bucket draws its last point', async () => {
    const result = await gql(viewer, ENTITY_SERIES, { ...runs(small), name: 'loss', max: 10 });
    const series = result.data._entities[0].metricSeries;
    expect(series.exact).toBe(false);
    expect(series.points).toHaveLength(10);
    expect(series.points[0]).toMatchObject({ step: 9, value: 1 / 10, min: 1 / 10, max: 1, count: 10 });
  });

  it('filters by time: from inclusive, to exclusive', async () => {
    const from = new Date(T0 + 10_000).toISOString();
    const to = new Date(T0 + 20_000).toISOString();
    const result = await gql(viewer, ENTITY_SERIES, { ...runs(small), name: 'loss', from, to });
    const steps = result.data._entities[0].metricSeries.points.map((p: { step: number }) => p.step);
    expect(steps).toEqual(Array.from({ length: 10 }, (_, i) => 10 + i));
  });

  it('is empty and exact for an unknown metric', async () => {
    const result = await gql(viewer, ENTITY_SERIES, { ...runs(small), name: 'nope' });
    expect(result.data._entities[0].metricSeries).toEqual({ name: 'nope', exact: true, points: [] });
  });

  it('rejects maxPoints outside 1..10,000 with BAD_USER_INPUT', async () => {
    for (const max of [0, -1, 10_001]) {
      const result = await gql(viewer, ENTITY_SERIES, { ...runs(small), name: 'loss', max });
      expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    }
    const compare = await gql(viewer, COMPARE, { ids: [small], name: 'loss', max: 20_000 });
    expect(compare.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

/** The documented bucketing, in JS: what a long series must be, point for point. */
function expectedSeries(points: { step: number; value: number }[], maxPoints: number): Partial<SeriesPointRow>[] {
  const lo = points.reduce((m, p) => Math.min(m, p.step), Number.POSITIVE_INFINITY);
  const hi = points.reduce((m, p) => Math.max(m, p.step), 0);
  const narrow = Math.ceil((hi - lo + 1) / maxPoints);
  const blocked = narrow >= STEP_BLOCK;
  const origin = blocked ? lo - (lo % STEP_BLOCK) : lo;
  const width = blocked ? STEP_BLOCK * Math.ceil(Math.ceil((hi - origin + 1) / maxPoints) / STEP_BLOCK) : narrow;
  const buckets = new Map<number, { step: number; value: number; min: number; max: number; count: number }>();
  for (const p of points) {
    const key = Math.floor((p.step - origin) / width);
    const b = buckets.get(key);
    if (!b) buckets.set(key, { step: p.step, value: p.value, min: p.value, max: p.value, count: 1 });
    else {
      if (p.step > b.step) Object.assign(b, { step: p.step, value: p.value });
      b.min = Math.min(b.min, p.value);
      b.max = Math.max(b.max, p.value);
      b.count++;
    }
  }
  return [...buckets.entries()].sort(([a], [b]) => a - b).map(([, b]) => b);
}

describe('long series from step blocks', () => {
  let blocky: string;
  // 300,001 points from step 1,007 (not a multiple of 256), one spike, logged
  // as odd steps then even steps: every block spans two parts.
  const points = line('loss', 300_001, (s) => (s === 123_457 ? -1e9 : Math.round(Math.sin(s / 777) * 1e6) / 1e6), 1007);

  beforeAll(async () => {
    blocky = await newRun('blocky');
    await insert(
      blocky,
      points.filter((p) => p.step % 2 === 1),
    );
    await insert(
      blocky,
      points.filter((p) => p.step % 2 === 0),
    );
  }, 60_000);

  const series = async (max: number) => {
    const result = await gql(viewer, ENTITY_SERIES, { ...runs(blocky), name: 'loss', max });
    expect(result.errors).toBeUndefined();
    return result.data._entities[0].metricSeries as { exact: boolean; points: (SeriesPointRow & { timestamp: string })[] };
  };

  it('cuts at multiples of 256 steps, point for point as the documented rule says', async () => {
    for (const max of [1000, 300, 7, 1]) {
      const { exact, points: got } = await series(max);
      expect(exact).toBe(false);
      expect(got.length).toBeLessThanOrEqual(max);
      expect(got.map(({ step, value, min, max, count }) => ({ step, value, min, max, count }))).toEqual(
        expectedSeries(points, max),
      );
      expect(got.filter((p) => p.min === -1e9)).toHaveLength(1);
      for (const p of got) expect(p.timestamp).toBe(new Date(T0 + p.step * 1000).toISOString());
    }
  });

  it('keeps the narrow rule under 256 steps a bucket', async () => {
    const { points: got } = await series(2000); // 151 steps a bucket, from the first step
    expect(got[0]).toMatchObject({ step: 1007 + 150, count: 151 });
    expect(got.map(({ step, value, min, max, count }) => ({ step, value, min, max, count }))).toEqual(
      expectedSeries(points, 2000),
    );
  });

  it('reads the step_blocks projection, and answers the same from rows where a part lacks it', async () => {
    queries.length = 0;
    const before = await series(1000);
    const event = queries.find((q) => q.kind === 'series') as QueryEvent;
    const plan = await raw.query({ query: `EXPLAIN ${event.query}`, query_params: event.params, format: 'TabSeparatedRaw' });
    expect(await plan.text()).toContain('ReadFromMergeTree (step_blocks)');
    const table = `\`${config.clickhouse.database}\`.experiment_metrics`;
    const partition = new Date(T0).toISOString().slice(0, 7).replace('-', '');
    await raw.command({
      query: `ALTER TABLE ${table} CLEAR PROJECTION step_blocks IN PARTITION ${partition}`,
      clickhouse_settings: { mutations_sync: '2' },
    });
    try {
      expect(await series(1000)).toEqual(before);
    } finally {
      await raw.command({
        query: `ALTER TABLE ${table} MATERIALIZE PROJECTION step_blocks`,
        clickhouse_settings: { mutations_sync: '2' },
      });
    }
    expect(await series(1000)).toEqual(before);
  });

  it('serves Run.metrics from the projection too', async () => {
    queries.length = 0;
    const result = await gql(viewer, ENTITY_METRICS, runs(blocky));
    expect(result.data._entities[0].metrics).toEqual([
      {
        name: 'loss',
        last: points.at(-1)?.value,
        min: -1e9,
        max: points.reduce((m, p) => Math.max(m, p.value), Number.NEGATIVE_INFINITY),
        count: 300_001,
        lastStep: 301_007,
        lastTimestamp: new Date(T0 + 301_007_000).toISOString(),
      },
    ]);
    const event = queries.find((q) => q.kind === 'summaries') as QueryEvent;
    const plan = await raw.query({ query: `EXPLAIN ${event.query}`, query_params: event.params, format: 'TabSeparatedRaw' });
    expect(await plan.text()).toContain('ReadFromMergeTree (step_blocks)');
  });
});

describe('access', () => {
  it('lets a VIEWER read; a non-member gets null fields with NOT_FOUND', async () => {
    expect((await gql(viewer, ENTITY_METRICS, runs(small))).errors).toBeUndefined();
    const result = await gql(stranger, BOTH, runs(small));
    expect(result.data._entities[0]).toEqual({ id: small, metrics: null, metricSeries: null });
    expect(result.errors?.map((e) => e.extensions?.code)).toEqual(['NOT_FOUND', 'NOT_FOUND']);
    const compare = await gql(stranger, COMPARE, { ids: [small], name: 'loss' });
    expect(compare.data.compareRuns[0]).toMatchObject({ runId: small, series: null });
    expect(compare.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('an unknown run id is NOT_FOUND; a malformed one BAD_USER_INPUT', async () => {
    const unknown = randomUUID();
    const result = await gql(viewer, COMPARE, { ids: [small, unknown], name: 'loss' });
    expect(result.data.compareRuns[0].series.exact).toBe(true);
    expect(result.data.compareRuns[1].series).toBeNull();
    expect(result.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const bad = await gql(viewer, COMPARE, { ids: ['nope'], name: 'loss' });
    expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('Query.compareRuns', () => {
  it('returns one series per run, in the order asked', async () => {
    const third = await newRun('third');
    await insert(
      third,
      line('loss', 50, (s) => 2 * s),
    );
    const result = await gql(viewer, COMPARE, { ids: [long, small, third], name: 'loss', max: 60 });
    expect(result.errors).toBeUndefined();
    const [a, b, c] = result.data.compareRuns;
    expect([a.runId, b.runId, c.runId]).toEqual([long, small, third]);
    expect(a.run).toEqual({ id: long });
    expect(a.series.exact).toBe(false);
    expect(a.series.points.length).toBeLessThanOrEqual(60);
    expect(b.series.exact).toBe(false);
    expect(c.series.exact).toBe(true);
    expect(c.series.points).toHaveLength(50);
    expect(c.series.points[49]).toMatchObject({ step: 49, value: 98 });
  });
});

describe('batching', () => {
  it('answers 20 runs with ONE query per field kind', async () => {
    const ids = await Promise.all(Array.from({ length: 20 }, (_, i) => newRun(`batch-${i}`)));
    await Promise.all(
      ids.map((id, i) =>
        insert(
          id,
          line('loss', 30 + i, (s) => s * i),
        ),
      ),
    );
    queries.length = 0;
    const result = await gql(viewer, BOTH, runs(...ids));
    expect(result.errors).toBeUndefined();
    expect(result.data._entities).toHaveLength(20);
    result.data._entities.forEach((r: { metrics: { count: number }[]; metricSeries: { points: unknown[] } }, i: number) => {
      expect(r.metrics).toEqual([{ name: 'loss', count: 30 + i }]);
      expect(r.metricSeries.points.length).toBeLessThanOrEqual(10);
    });
    expect(queries.map((q) => q.kind).sort()).toEqual(['series', 'summaries']);
    queries.length = 0;
    const compare = await gql(viewer, COMPARE, { ids, name: 'loss', max: 10 });
    expect(compare.errors).toBeUndefined();
    expect(queries.map((q) => q.kind)).toEqual(['series']);
  });
});

describe('Experiment.metricSummary', () => {
  it('aggregates the last value of a metric over the runs', async () => {
    const project = await prisma.project.create({ data: { name: 'agg', createdById: editor.id } });
    await prisma.projectMember.create({ data: { projectId: project.id, userId: viewer.id, role: 'VIEWER' } });
    const experiment = await prisma.experiment.create({ data: { projectId: project.id, name: 'agg', ownerId: editor.id } });
    const ids: string[] = [];
    for (const last of [3, 1, 2]) {
      const run = await prisma.run.create({ data: { experimentId: experiment.id, name: `r${last}`, createdById: editor.id } });
      ids.push(run.id);
      const rows = [0, 1].map((step) => ({
        runId: run.id,
        experimentId: experiment.id,
        name: 'loss',
        step,
        value: step === 1 ? last : 100,
        timestampMs: T0 + step,
        tags: {},
      }));
      await metrics.store.ingest.insert(rows, undefined);
    }
    const reps = { reps: [{ __typename: 'Experiment', id: experiment.id }] };
    const result = await gql(viewer, EXPERIMENT, reps);
    expect(result.errors).toBeUndefined();
    expect(result.data._entities[0].metricSummary).toEqual({
      name: 'loss',
      runs: 3,
      min: 1,
      max: 3,
      mean: 2,
      minRunId: ids[1],
      maxRunId: ids[0],
    });
    const hidden = await gql(stranger, EXPERIMENT, reps);
    expect(hidden.data._entities[0].metricSummary).toBeNull();
    expect(hidden.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});

describe.runIf(process.env.METRICS_BENCH)('timing (METRICS_BENCH=1)', () => {
  it('a 1,000-point series over 1M points', async () => {
    const run = await newRun('million');
    for (let start = 0; start < 1_000_000; start += 100_000) {
      await insert(
        run,
        line('loss', 100_000, (s) => Math.cos(s), start),
      );
    }
    for (const max of [1000, 10_000]) {
      const started = performance.now();
      const result = await gql(viewer, ENTITY_SERIES, { ...runs(run), name: 'loss', max });
      const ms = performance.now() - started;
      expect(result.data._entities[0].metricSeries.points.length).toBeLessThanOrEqual(max);
      console.log(`series of ${max} buckets over 1M points: ${ms.toFixed(0)} ms (request)`);
    }
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      await metrics.store.query.series([run], { name: 'loss', maxPoints: 1000 });
      console.log(`store.series, 1,000 buckets over 1M points: ${(performance.now() - t).toFixed(0)} ms`);
    }
    const started = performance.now();
    await gql(viewer, ENTITY_METRICS, runs(run));
    console.log(`Run.metrics over 1M points: ${(performance.now() - started).toFixed(0)} ms (request)`);
  }, 300_000);
});
