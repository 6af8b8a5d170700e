/**
 * Run.metricNames and Experiment.metricNames on chdb, through the metrics
 * subgraph's GraphQL: the names logged, sorted, and one ClickHouse query per
 * field for a whole page of runs or experiments.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClickHouseClient, createClickHouse } from '../store/clickhouseClient';
import type { MetricRow, QueryEvent } from '../store/types';
import { startTestMetrics, type TestMetrics } from '../testing/testMetrics';

let t: TestMetrics;
let raw: ClickHouseClient;
const queries: QueryEvent[] = [];
const T0 = Date.now() - 86_400_000;

const RUN_NAMES = `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Run { id metricNames } } }`;
const EXPERIMENT_NAMES = `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Experiment { id metricNames } } }`;
const reps = (typename: string, ids: string[]) => ({ reps: ids.map((id) => ({ __typename: typename, id })) });

async function log(runId: string, experimentId: string, names: string[], steps = 3): Promise<void> {
  const rows: MetricRow[] = names.flatMap((name) =>
    Array.from({ length: steps }, (_, step) => ({
      runId,
      experimentId,
      name,
      step,
      value: step,
      timestampMs: T0 + step,
      tags: {},
    })),
  );
  await t.metrics.store.ingest.insert(rows, undefined);
}

async function newExperiment(name: string): Promise<string> {
  const { projectId } = await t.prisma.experiment.findUniqueOrThrow({ where: { id: t.experimentId } });
  const experiment = await t.prisma.experiment.create({ data: { projectId, name, ownerId: t.editor.id } });
  return experiment.id;
}

async function newRunIn(experimentId: string, name: string): Promise<string> {
  return (await t.prisma.run.create({ data: { experimentId, name, createdById: t.editor.id } })).id;
}

beforeAll(async () => {
  t = await startTestMetrics('metric-names');
  t.metrics.store.query.onQuery = (e) => queries.push(e);
  raw = await createClickHouse(t.config);
}, 180_000);

afterAll(async () => {
  await raw?.close();
  await t?.stop();
});

describe('Run.metricNames', () => {
  it('lists the names each run logged, sorted, for a page of runs in ONE ClickHouse query', async () => {
    const pool = ['val/loss', 'train/loss', 'lr', 'grad_norm', 'eval/accuracy', 'tokens_per_s'];
    const ids: string[] = [];
    const expected: string[][] = [];
    for (let i = 0; i < 25; i++) {
      const id = await t.newRun(`r${i}`);
      const names = pool.filter((_, k) => (i + k) % 3 !== 0 || k === i % pool.length);
      await log(id, t.experimentId, names, 1 + (i % 4));
      ids.push(id);
      expected.push([...names].sort());
    }
    const empty = await t.newRun('empty');
    for (const page of [ids.slice(0, 5), [...ids, empty]]) {
      queries.length = 0;
      const result = await t.gql(t.viewer, RUN_NAMES, reps('Run', page));
      expect(result.errors).toBeUndefined();
      expect(queries.map((q) => q.kind)).toEqual(['metricNames']);
      const got = result.data._entities.map((r: { metricNames: string[] }) => r.metricNames);
      expect(got).toEqual(page.map((id) => (id === empty ? [] : expected[ids.indexOf(id)])));
    }
  });

  it('is null with NOT_FOUND for a run the caller may not read, without hiding the others', async () => {
    const id = await t.newRun('named');
    await log(id, t.experimentId, ['b', 'a']);
    const hidden = await t.gql(t.stranger, RUN_NAMES, reps('Run', [id]));
    expect(hidden.data._entities[0]).toEqual({ id, metricNames: null });
    expect(hidden.errors?.map((e) => e.extensions?.code)).toEqual(['NOT_FOUND']);
    const mixed = await t.gql(t.viewer, RUN_NAMES, reps('Run', [id, 'not-a-uuid']));
    expect(mixed.data._entities[0].metricNames).toEqual(['a', 'b']);
    expect(mixed.data._entities[1].metricNames).toBeNull();
  });
});

describe('Experiment.metricNames', () => {
  it("lists the names any of an experiment's runs logged, sorted, for several experiments in ONE query", async () => {
    const [e1, e2, e3] = [await newExperiment('names-1'), await newExperiment('names-2'), await newExperiment('names-3')];
    await log(await newRunIn(e1, 'a'), e1, ['loss', 'acc']);
    await log(await newRunIn(e1, 'b'), e1, ['loss', 'perplexity']);
    await log(await newRunIn(e2, 'c'), e2, ['reward']);
    await newRunIn(e3, 'silent');
    queries.length = 0;
    const result = await t.gql(t.viewer, EXPERIMENT_NAMES, reps('Experiment', [e1, e2, e3]));
    expect(result.errors).toBeUndefined();
    expect(queries.map((q) => q.kind)).toEqual(['experimentMetricNames']);
    // The query reads the experiment_names projection, not the points (ClickHouse refuses it otherwise).
    const [asked] = queries;
    const fromProjection = await raw.query({
      query: `${asked?.query} SETTINGS force_optimize_projection = 1`,
      query_params: asked?.params,
      format: 'JSONEachRow',
    });
    expect(await fromProjection.json()).toHaveLength(2);
    expect(result.data._entities).toEqual([
      { id: e1, metricNames: ['acc', 'loss', 'perplexity'] },
      { id: e2, metricNames: ['reward'] },
      { id: e3, metricNames: [] },
    ]);
    const hidden = await t.gql(t.stranger, EXPERIMENT_NAMES, reps('Experiment', [e1]));
    expect(hidden.data._entities[0].metricNames).toBeNull();
    expect(hidden.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});
