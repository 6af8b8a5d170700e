/**
 * The registry's metrics routes (METRICS_INTERNAL) against chdb, through real
 * HTTP with callInternal: only the registry, signed for the route and the
 * exact body, may call them; a delete removes exactly its points, from the
 * rows and from the step_blocks projection, before it answers, and answers 0
 * the second time; the runs listing pages by run id.
 */
import { randomUUID } from 'node:crypto';
import { type Caller, CONTEXT_HEADER, signContext } from '@lab/shared';
import {
  callInternal,
  type DeleteMetricsResult,
  InternalCallError,
  internalCallDocument,
  type ListMetricRunsResult,
  METRICS_INTERNAL,
} from '@lab/shared/internal';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClickHouseClient, createClickHouse } from '../store/clickhouseClient';
import { STEP_BLOCK } from '../store/migrations';
import type { ValidPoint } from '../store/types';
import { startTestMetrics, type TestMetrics } from '../testing/testMetrics';

const REGISTRY: Caller = { id: 'registry', kind: 'service', scopes: ['*'] };
const T0 = Math.floor((Date.now() - 3_600_000) / 1000) * 1000;
/** Steps of a long run: enough that a 10-point series is cut in whole step_blocks blocks. */
const LONG = 3_000;

let t: TestMetrics;
/** A second client on the same engine: reads rows and the projection directly. */
let raw: ClickHouseClient;
let table: string;
let other: string;
/** What each run holds, as inserted (and deleted) here. */
const held = new Map<string, { experimentId: string; points: number; lastTimestampMs: number }>();

/** Inserts `steps` points of metric `name` into a run from step `from`; timestamps T0 + step seconds. */
async function insert(runId: string, experimentId: string, name: string, steps: number, from = 0) {
  const rows = Array.from({ length: steps }, (_, i) => from + i).map((step) => ({
    runId,
    experimentId,
    name,
    step,
    value: Math.sin(step / 100),
    timestampMs: T0 + step * 1000,
    tags: {},
  })) as (ValidPoint & { runId: string; experimentId: string })[];
  await t.metrics.store.ingest.insert(rows, undefined);
  const before = held.get(runId);
  held.set(runId, {
    experimentId,
    points: (before?.points ?? 0) + steps,
    lastTimestampMs: Math.max(before?.lastTimestampMs ?? 0, T0 + (from + steps - 1) * 1000),
  });
}

async function newRun(experimentId: string, name: string): Promise<string> {
  const run = await t.prisma.run.create({ data: { experimentId, name, createdById: t.editor.id } });
  return run.id;
}

function call<T>(path: string, body: unknown, caller: Caller = REGISTRY): Promise<T> {
  return callInternal<T>(t.metrics.url, path, body, { internalSecret: t.secret, caller, requestId: randomUUID() });
}

/** The InternalCallError a call fails with. */
async function failure(path: string, body: unknown, caller: Caller = REGISTRY): Promise<InternalCallError> {
  const err = await call(path, body, caller).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InternalCallError);
  return err as InternalCallError;
}

/** POSTs `body` as is, with a context signed for `document` (none when undefined). */
async function post(path: string, body: string, document: string | undefined) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (document !== undefined) {
    headers[CONTEXT_HEADER] = signContext(t.secret, { requestId: randomUUID(), caller: REGISTRY, query: document });
  }
  const res = await fetch(`${t.metrics.url}${path}`, { method: 'POST', headers, body });
  return { status: res.status, body: (await res.json()) as { code?: string; message?: string } };
}

/** Points per run as stored (rows, not the projection). */
async function rowsOf(runIds: string[]): Promise<Record<string, number>> {
  const result = await raw.query({
    query: `SELECT toString(run_id) AS rid, count() AS n FROM ${table} WHERE run_id IN {ids:Array(UUID)}
      GROUP BY run_id SETTINGS optimize_use_projections = 0`,
    query_params: { ids: runIds },
    format: 'JSONEachRow',
  });
  return Object.fromEntries((await result.json<{ rid: string; n: string }>()).map((r) => [r.rid, Number(r.n)]));
}

/** Points per run as the step_blocks projection counts them (the query fails unless it reads the projection). */
async function blocksOf(runIds: string[]): Promise<Record<string, number>> {
  const result = await raw.query({
    query: `SELECT toString(run_id) AS rid, sum(n) AS n FROM (
      SELECT run_id, metric_name, intDiv(step, ${STEP_BLOCK}) AS block, count() AS n FROM ${table}
      WHERE run_id IN {ids:Array(UUID)} GROUP BY run_id, metric_name, intDiv(step, ${STEP_BLOCK})
    ) GROUP BY run_id SETTINGS force_optimize_projection = 1`,
    query_params: { ids: runIds },
    format: 'JSONEachRow',
  });
  return Object.fromEntries((await result.json<{ rid: string; n: string }>()).map((r) => [r.rid, Number(r.n)]));
}

const ENTITY_METRICS = `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Run { id metrics { name count lastStep } } } }`;
const ENTITY_SERIES = `query($reps: [_Any!]!) { _entities(representations: $reps) {
  ... on Run { id metricSeries(name: "loss", maxPoints: 10) { exact points { step count } } } } }`;
const reps = (ids: string[]) => ({ reps: ids.map((id) => ({ __typename: 'Run', id })) });

/** Run.metrics and the 10-point loss series of each run, as a VIEWER reads them through GraphQL. */
async function read(runIds: string[]) {
  const metrics = await t.gql(t.viewer, ENTITY_METRICS, reps(runIds));
  const series = await t.gql(t.viewer, ENTITY_SERIES, reps(runIds));
  expect(metrics.errors).toBeUndefined();
  expect(series.errors).toBeUndefined();
  return runIds.map((id, i) => ({
    id,
    metrics: metrics.data._entities[i].metrics as { name: string; count: number }[],
    series: series.data._entities[i].metricSeries as { exact: boolean; points: { step: number; count: number }[] },
  }));
}

beforeAll(async () => {
  t = await startTestMetrics('internal');
  raw = await createClickHouse(t.config);
  table = `\`${t.config.clickhouse.database}\`.experiment_metrics`;
  const experiment = await t.prisma.experiment.findUniqueOrThrow({ where: { id: t.experimentId } });
  other = (await t.prisma.experiment.create({ data: { projectId: experiment.projectId, name: 'other', ownerId: t.editor.id } }))
    .id;
}, 120_000);

afterAll(async () => {
  await raw?.close();
  await t?.stop();
});

describe('who may call', () => {
  it('refuses unsigned calls, other callers, contexts signed for another route or body', async () => {
    const runId = await newRun(other, 'kept');
    await insert(runId, other, 'loss', 10);
    const body = JSON.stringify({ experimentId: other });
    const path = METRICS_INTERNAL.delete;
    const refused = [
      await post(path, body, undefined),
      await post(path, body, internalCallDocument(METRICS_INTERNAL.runs, body)),
      await post(path, body, internalCallDocument(path, JSON.stringify({ experimentId: randomUUID() }))),
    ];
    for (const res of refused) expect(res).toMatchObject({ status: 401, body: { code: 'UNAUTHENTICATED' } });
    for (const caller of [
      { id: 'gateway', kind: 'service', scopes: ['*'] },
      { ...t.editor },
      { ...REGISTRY, kind: 'user' },
    ] as Caller[]) {
      const err = await failure(path, { experimentId: other }, caller);
      expect(err).toMatchObject({ status: 401, code: 'UNAUTHENTICATED', transient: false });
    }
    expect(await rowsOf([runId])).toEqual({ [runId]: 10 });
  });

  it('answers 400 BAD_USER_INPUT to a body it cannot take', async () => {
    const uuid = randomUUID();
    const deletes: unknown[] = [
      {},
      [],
      'x',
      { experimentId: 'nope' },
      { experimentId: uuid, runIds: [uuid] },
      { experimentId: uuid, extra: 1 },
      { runIds: [] },
      { runIds: uuid },
      { runIds: [uuid, 'nope'] },
      { runIds: Array.from({ length: 10_001 }, () => uuid) },
    ];
    for (const body of deletes) {
      expect(await failure(METRICS_INTERNAL.delete, body)).toMatchObject({
        status: 400,
        code: 'BAD_USER_INPUT',
        transient: false,
      });
    }
    const pages: unknown[] = [
      [],
      { after: 'nope' },
      { limit: 0 },
      { limit: 10_001 },
      { limit: 2.5 },
      { limit: '5' },
      { page: 1 },
    ];
    for (const body of pages) {
      expect(await failure(METRICS_INTERNAL.runs, body)).toMatchObject({ status: 400, code: 'BAD_USER_INPUT' });
    }
    const notJson = '{"experimentId":';
    expect(await post(METRICS_INTERNAL.delete, notJson, internalCallDocument(METRICS_INTERNAL.delete, notJson))).toMatchObject({
      status: 400,
      body: { code: 'BAD_USER_INPUT' },
    });
  });
});

describe('POST /internal/metrics/delete', () => {
  it("deletes an experiment's points, from the rows and step_blocks, and leaves another experiment's", async () => {
    const [short, long] = [await newRun(t.experimentId, 'short'), await newRun(t.experimentId, 'long')];
    const [keptShort, keptLong] = [await newRun(other, 'short'), await newRun(other, 'long')];
    for (const [runId, experimentId] of [
      [short, t.experimentId],
      [keptShort, other],
    ] as const) {
      await insert(runId, experimentId, 'loss', 100);
      await insert(runId, experimentId, 'acc', 10);
    }
    // Logged as two halves (two parts), so a block spans both.
    await insert(long, t.experimentId, 'loss', LONG / 2);
    await insert(long, t.experimentId, 'loss', LONG / 2, LONG / 2);
    await insert(keptLong, other, 'loss', LONG);
    const runs = [short, long, keptShort, keptLong];

    const before = await read(runs);
    expect(before.map((r) => r.metrics.reduce((n, m) => n + m.count, 0))).toEqual([110, LONG, 110, LONG]);
    for (const r of before.slice(1, 2).concat(before.slice(3))) {
      // Bucketed in whole blocks of the projection: 300 steps a bucket rounded up to 512.
      expect(r.series.exact).toBe(false);
      expect(r.series.points[0]).toMatchObject({ step: 2 * STEP_BLOCK - 1 });
    }
    expect(await blocksOf(runs)).toEqual({ [short]: 110, [long]: LONG, [keptShort]: 110, [keptLong]: LONG });

    const result = await call<DeleteMetricsResult>(METRICS_INTERNAL.delete, { experimentId: t.experimentId });
    expect(result).toEqual({ deleted: 110 + LONG });
    held.delete(short);
    held.delete(long);

    // Seen by nothing once the route has answered: rows, projection, Run.metrics, Run.metricSeries.
    expect(await rowsOf(runs)).toEqual({ [keptShort]: 110, [keptLong]: LONG });
    expect(await blocksOf(runs)).toEqual({ [keptShort]: 110, [keptLong]: LONG });
    const after = await read(runs);
    expect(after.slice(0, 2)).toEqual([
      { id: short, metrics: [], series: { exact: true, points: [] } },
      { id: long, metrics: [], series: { exact: true, points: [] } },
    ]);
    expect(after.slice(2)).toEqual(before.slice(2));

    expect(await call<DeleteMetricsResult>(METRICS_INTERNAL.delete, { experimentId: t.experimentId })).toEqual({ deleted: 0 });
  });

  it('deletes the points of listed runs only, and 0 the second time', async () => {
    const [a, b, c] = [await newRun(other, 'a'), await newRun(other, 'b'), await newRun(other, 'c')];
    await insert(a, other, 'loss', 600);
    await insert(b, other, 'loss', 20);
    await insert(c, other, 'loss', 30);
    const body = { runIds: [a, b.toUpperCase(), randomUUID()] };
    expect(await call<DeleteMetricsResult>(METRICS_INTERNAL.delete, body)).toEqual({ deleted: 620 });
    held.delete(a);
    held.delete(b);
    expect(await rowsOf([a, b, c])).toEqual({ [c]: 30 });
    expect(await blocksOf([a, b, c])).toEqual({ [c]: 30 });
    expect((await read([a])).map((r) => r.metrics)).toEqual([[]]);
    expect(await call<DeleteMetricsResult>(METRICS_INTERNAL.delete, body)).toEqual({ deleted: 0 });
    expect(await rowsOf([c])).toEqual({ [c]: 30 });
  });
});

describe('POST /internal/metrics/runs', () => {
  it('lists the runs having points by run id, with experiment, count and last timestamp, a page at a time', async () => {
    // Runs the registry does not know: the reconciler's case.
    const experimentId = randomUUID();
    for (let i = 0; i < 7; i++) await insert(randomUUID(), experimentId, 'loss', i + 1);
    const expected = [...held.entries()].map(([runId, h]) => ({ runId, ...h })).sort((x, y) => (x.runId < y.runId ? -1 : 1));
    expect(expected.length).toBe(11);

    const all = await call<ListMetricRunsResult>(METRICS_INTERNAL.runs, {});
    expect(all).toEqual({ runs: expected, next: null });

    const pages: ListMetricRunsResult[] = [];
    let after: string | undefined;
    do {
      const page = await call<ListMetricRunsResult>(METRICS_INTERNAL.runs, after ? { after, limit: 5 } : { limit: 5 });
      pages.push(page);
      after = page.next ?? undefined;
    } while (after);
    expect(pages.map((p) => p.runs.length)).toEqual([5, 5, 1]);
    expect(pages.map((p) => p.next)).toEqual([expected[4]?.runId, expected[9]?.runId, null]);
    expect(pages.flatMap((p) => p.runs)).toEqual(expected);

    // A full last page still names its last run; the page after it is empty.
    const last = await call<ListMetricRunsResult>(METRICS_INTERNAL.runs, { after: expected[8]?.runId, limit: 2 });
    expect(last).toEqual({ runs: expected.slice(9), next: expected[10]?.runId });
    expect(await call(METRICS_INTERNAL.runs, { after: last.next, limit: 2 })).toEqual({ runs: [], next: null });
  });
});
