/**
 * The registry's run lists filtered and ordered by metrics, across the two
 * stores: the registry (its schema over embedded PostgreSQL, statements
 * counted) asks this metrics service (chdb, queries counted) through the
 * signed rank route. Checks what a user sees (the runs, their order, stable
 * pages, totals) and what it costs: a fixed number of SQL statements and one
 * ClickHouse query per request, whatever the number of runs or experiments.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startTestRegistry, TEST_REGISTRY_SECRET, type TestRegistry } from '@lab/registry/testing';
import { type Caller, createLogger, loadConfig } from '@lab/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningMetrics, startMetrics } from '../service';
import type { ValidPoint } from '../store/types';

const T0 = Math.floor((Date.now() - 3_600_000) / 1000) * 1000;
const ids = {
  user: '00000000-0000-4000-8000-00000000f001',
  stranger: '00000000-0000-4000-8000-00000000f002',
  project: '00000000-0000-4000-8000-00000000f101',
};
const caller: Caller = { id: ids.user, kind: 'user', scopes: ['*'] };

let dir: string;
let reg: TestRegistry;
let metrics: RunningMetrics | undefined;
let metricsUrl = 'http://127.0.0.1:9/';
const clickhouseQueries: string[] = [];

interface SeededRun {
  id: string;
  name: string;
  experimentId: string;
  optimizer: string;
  /** val_loss points (none: the run logged no val_loss). */
  loss: number[];
}
const seeded: SeededRun[] = [];

async function seedExperiment(name: string, runs: number): Promise<string> {
  const experiment = await reg.prisma.experiment.create({ data: { projectId: ids.project, name, ownerId: ids.user } });
  const points: (ValidPoint & { runId: string; experimentId: string })[] = [];
  for (let i = 0; i < runs; i++) {
    const optimizer = i % 3 === 0 ? 'sgd' : 'adam';
    const run = await reg.prisma.run.create({
      data: {
        experimentId: experiment.id,
        name: `${name}-${i}`,
        params: { optimizer, lr: String(10 ** -(1 + (i % 4))) },
        config: { model: { layers: 12 * (1 + (i % 3)) } },
        createdById: ids.user,
        startTime: new Date(T0 + i * 60_000),
      },
    });
    // every fifth run logs no val_loss; two runs share their minimum (ties break by id)
    const loss = i % 5 === 4 ? [] : Array.from({ length: 8 }, (_, step) => 2 + ((i * 37) % 17) / 10 - step * 0.1);
    for (const [step, value] of loss.entries()) {
      points.push({
        runId: run.id,
        experimentId: experiment.id,
        name: 'val_loss',
        step,
        value,
        timestampMs: T0 + step,
        tags: {},
      });
    }
    points.push({ runId: run.id, experimentId: experiment.id, name: 'acc', step: 0, value: i / runs, timestampMs: T0, tags: {} });
    seeded.push({ id: run.id, name: run.name, experimentId: experiment.id, optimizer, loss });
  }
  await metrics?.store.ingest.insert(points, undefined);
  return experiment.id;
}

const minLoss = (r: SeededRun): number | null => (r.loss.length > 0 ? Math.min(...r.loss) : null);

/** By min(val_loss) ascending, runs without it last, ties by id ascending. */
function byMinLoss(runs: SeededRun[]): SeededRun[] {
  return [...runs].sort((a, b) => {
    const va = minLoss(a);
    const vb = minLoss(b);
    if (va === null || vb === null) return va === vb ? a.id.localeCompare(b.id) : va === null ? 1 : -1;
    return va === vb ? a.id.localeCompare(b.id) : va - vb;
  });
}

interface RunsPage {
  totalCount: number;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  edges: { cursor: string; node: { id: string; name: string } }[];
}

async function gql<T>(query: string, variables: Record<string, unknown> = {}, who: Caller = caller): Promise<T> {
  const result = await reg.run(query, who, variables);
  expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
  return result.data as T;
}

const RUNS = `query($e: ID, $search: String, $order: RunOrder, $first: Int, $after: String) {
  runs(filter: { experimentId: $e }, search: $search, orderBy: $order, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id name } }
  }
}`;

/** Every page of a top-level list, in order. */
async function walk(variables: Record<string, unknown>, first: number): Promise<{ names: string[]; totals: number[] }> {
  const names: string[] = [];
  const totals: number[] = [];
  let after: string | null = null;
  for (let i = 0; i < 100; i++) {
    const { runs }: { runs: RunsPage } = await gql<{ runs: RunsPage }>(RUNS, { ...variables, first, after });
    names.push(...runs.edges.map((e) => e.node.name));
    totals.push(runs.totalCount);
    if (!runs.pageInfo.hasNextPage) break;
    after = runs.pageInfo.endCursor;
  }
  return { names, totals };
}

let small: string;
let large: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'runs-by-metrics-'));
  reg = await startTestRegistry('lab', { metricsUrl: () => metricsUrl });
  const log = createLogger('runs-by-metrics-test', { logLevel: 'silent', logFormat: 'json' });
  const config = loadConfig({
    LAB_DATA_DIR: dir,
    LAB_INTERNAL_SECRET: TEST_REGISTRY_SECRET,
    LOG_LEVEL: 'silent',
    METRICS_PORT: '0',
    REGISTRY_URL: 'http://127.0.0.1:9/graphql',
  });
  metrics = await startMetrics(config, log);
  metricsUrl = metrics.url;
  metrics.store.ranking.onQuery = (e) => clickhouseQueries.push(e.query);
  await reg.prisma.user.createMany({
    data: [
      { id: ids.user, email: 'u@lab.test', name: 'U' },
      { id: ids.stranger, email: 's@lab.test', name: 'S' },
    ],
  });
  await reg.prisma.project.create({ data: { id: ids.project, name: 'ranked', createdById: ids.user } });
  await reg.prisma.projectMember.create({ data: { projectId: ids.project, userId: ids.user, role: 'EDITOR' } });
  small = await seedExperiment('small', 12);
  large = await seedExperiment('large', 60);
}, 180_000);

afterAll(async () => {
  await metrics?.stop();
  await reg?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('runs filtered and ordered by metrics', () => {
  it('pages every matching run once, by min(val_loss) with a params condition, runs without val_loss last', async () => {
    const order = { metric: { name: 'val_loss', aggregate: 'MIN' }, direction: 'ASC' };
    const { names, totals } = await walk({ e: large, search: "params.optimizer = 'adam'", order }, 7);
    const expected = byMinLoss(seeded.filter((r) => r.experimentId === large && r.optimizer === 'adam'));
    expect(names).toEqual(expected.map((r) => r.name));
    expect(new Set(totals)).toEqual(new Set([expected.length]));
  });

  it('filters by a metric combined with params and config, with OR and NOT, in a registry order', async () => {
    const search =
      "(min(metrics.val_loss) < 2.5 AND config.model.layers >= 24) OR (params.optimizer = 'sgd' AND NOT metrics.val_loss IS NOT NULL)";
    const { names, totals } = await walk({ e: large, search, order: { field: 'START_TIME', direction: 'ASC' } }, 4);
    const layers = (r: SeededRun) => 12 * (1 + (Number(r.name.split('-')[1]) % 3));
    const expected = seeded
      .filter((r) => r.experimentId === large)
      .filter((r) => ((minLoss(r) ?? Infinity) < 2.5 && layers(r) >= 24) || (r.optimizer === 'sgd' && r.loss.length === 0))
      .map((r) => r.name);
    expect(names).toEqual(expected);
    expect(new Set(totals)).toEqual(new Set([expected.length]));
  });

  it('orders each experiment of a nested list by a metric, with per-experiment totals', async () => {
    const query = `query($p: ID!) { experiments(filter: { projectId: $p }, orderBy: { field: NAME, direction: ASC }) { edges { node {
      name runs(first: 3, orderBy: { metric: { name: "val_loss", aggregate: MIN }, direction: ASC }) {
        totalCount edges { node { name } }
      }
    } } } }`;
    const data = await gql<{
      experiments: { edges: { node: { name: string; runs: { totalCount: number; edges: { node: { name: string } }[] } } }[] };
    }>(query, { p: ids.project });
    for (const { node } of data.experiments.edges) {
      const experimentId = node.name === 'large' ? large : small;
      const runs = byMinLoss(seeded.filter((r) => r.experimentId === experimentId));
      expect(node.runs.totalCount).toBe(runs.length);
      expect(node.runs.edges.map((e) => e.node.name)).toEqual(runs.slice(0, 3).map((r) => r.name));
    }
  });

  it('keeps each experiment of a nested list in a registry order when filtering by a metric', async () => {
    const query = `query($p: ID!) { experiments(filter: { projectId: $p }, orderBy: { field: NAME, direction: ASC }) { edges { node {
      name runs(first: 4, search: "max(metrics.val_loss) > 3", orderBy: { field: START_TIME, direction: DESC }) {
        totalCount edges { node { name } }
      }
    } } } }`;
    type Nested = {
      experiments: { edges: { node: { name: string; runs: { totalCount: number; edges: { node: { name: string } }[] } } }[] };
    };
    const data = await gql<Nested>(query, { p: ids.project });
    for (const { node } of data.experiments.edges) {
      const experimentId = node.name === 'large' ? large : small;
      const matching = seeded
        .filter((r) => r.experimentId === experimentId && r.loss.length > 0 && Math.max(...r.loss) > 3)
        .reverse();
      expect(node.runs.totalCount).toBe(matching.length);
      expect(node.runs.edges.map((e) => e.node.name)).toEqual(matching.slice(0, 4).map((r) => r.name));
    }
  });

  it('costs a fixed number of SQL statements and one ClickHouse query, for 12 runs as for 60', async () => {
    const cost = async (experimentId: string) => {
      reg.statements.length = 0;
      clickhouseQueries.length = 0;
      const order = { metric: { name: 'val_loss', aggregate: 'MAX' }, direction: 'DESC' };
      await gql(RUNS, { e: experimentId, search: "params.optimizer = 'adam' AND metrics.acc < 0.9", order, first: 5 });
      return { sql: reg.statements.length, clickhouse: clickhouseQueries.length };
    };
    const few = await cost(small);
    const many = await cost(large);
    expect(many).toEqual(few);
    // memberships, the candidates, the page's runs; one ranking query
    expect(few).toEqual({ sql: 3, clickhouse: 1 });

    const nested = async (first: number) => {
      reg.statements.length = 0;
      clickhouseQueries.length = 0;
      await gql(
        `query($p: ID!) { experiments(filter: { projectId: $p }) { edges { node {
          runs(first: ${first}, orderBy: { metric: { name: "val_loss" } }) { totalCount edges { node { name createdBy { name } } } }
        } } } }`,
        { p: ids.project },
      );
      return { sql: reg.statements.length, clickhouse: clickhouseQueries.length };
    };
    expect(await nested(2)).toEqual(await nested(20));
    expect((await nested(20)).clickhouse).toBe(1);
  });

  it('answers bad input with BAD_USER_INPUT: the filter with its column, the order and the cursor with their argument', async () => {
    const failures: [Record<string, unknown>, Record<string, unknown>][] = [
      [
        { search: "metrics.val_loss < 'low'" },
        { code: 'BAD_USER_INPUT', filter: { position: 20, expected: expect.any(String) } },
      ],
      [{ search: 'min(params.lr) < 1' }, { code: 'BAD_USER_INPUT', filter: { position: 5, expected: expect.any(String) } }],
      [{ order: { metric: { name: 'val loss' } } }, { code: 'BAD_USER_INPUT', field: 'orderBy.metric.name' }],
      [
        {
          order: { metric: { name: 'val_loss' } },
          after: Buffer.from(JSON.stringify(['2024-01-01T00:00:00.000Z', ids.user])).toString('base64url'),
        },
        { code: 'BAD_USER_INPUT', argument: 'after' },
      ],
    ];
    for (const [variables, extensions] of failures) {
      const result = await reg.run(RUNS, caller, { e: large, ...variables });
      expect(result.errors?.[0]?.extensions, JSON.stringify(variables)).toMatchObject(extensions);
    }
  });

  it('shows a stranger nothing, and says so when the metrics service is down', async () => {
    const { runs } = await gql<{ runs: RunsPage }>(
      RUNS,
      { search: 'metrics.acc >= 0' },
      { id: ids.stranger, kind: 'user', scopes: ['*'] },
    );
    expect(runs.totalCount).toBe(0);
    const up = metricsUrl;
    metricsUrl = 'http://127.0.0.1:9/';
    try {
      const result = await reg.run(RUNS, caller, { e: small, search: 'metrics.acc >= 0' });
      expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', service: 'metrics' });
      expect(result.errors?.[0]?.message).toBe('Runs by their metrics: the metrics service is unavailable');
    } finally {
      metricsUrl = up;
    }
  });
});
