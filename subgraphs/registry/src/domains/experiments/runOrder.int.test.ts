/**
 * Run lists ordered by status, duration, author and a param's value, through
 * the registry's schema on embedded PostgreSQL: every page of two follows the
 * same order as one page of all (ties by id, nulls last in both directions),
 * cursors keep their place when runs are added, nested lists order alike, and
 * a cursor or order of the wrong shape is BAD_USER_INPUT.
 */
import type { Caller } from '@lab/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRegistry, type TestRegistry } from '../../testing/testRegistry';

let reg: TestRegistry;
const owner: Caller = { id: '00000000-0000-4000-8000-0000000d0001', kind: 'user', scopes: ['*'] };
const bob = '00000000-0000-4000-8000-0000000d0002';
const nameless = '00000000-0000-4000-8000-0000000d0003';
const project = '00000000-0000-4000-8000-0000000e0001';
const experiment = '00000000-0000-4000-8000-0000000e0002';
const run = (n: number) => `00000000-0000-4000-8000-0000000f000${n}`;
const t0 = Date.parse('2026-01-01T00:00:00Z');

// run: status, seconds from start to end (null: still running), creator, params
const RUNS: [number, string, number | null, string, Record<string, unknown>][] = [
  [1, 'COMPLETED', 10, owner.id, { lr: 2 }],
  [2, 'FAILED', 5, bob, { lr: 0.5 }],
  [3, 'RUNNING', null, owner.id, { lr: 'auto' }],
  [4, 'KILLED', 10, nameless, {}],
  [5, 'COMPLETED', 100, bob, { lr: 10 }],
  [6, 'RUNNING', null, bob, { lr: null }],
];

const LIST = `query($first: Int, $after: String, $orderBy: RunOrder) {
  runs(filter: { experimentId: "${experiment}" }, first: $first, after: $after, orderBy: $orderBy) {
    edges { node { id } } pageInfo { hasNextPage endCursor }
  }
}`;

interface Page {
  ids: string[];
  hasNextPage: boolean;
  endCursor: string | null;
}

async function page(orderBy: Record<string, unknown>, first: number, after?: string | null): Promise<Page> {
  const result = await reg.run(LIST, owner, { orderBy, first, after });
  expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
  const runs = (result.data as { runs: { edges: { node: { id: string } }[]; pageInfo: Omit<Page, 'ids'> } }).runs;
  return { ids: runs.edges.map((e) => e.node.id), ...runs.pageInfo };
}

/** The run numbers of the whole list, read two at a time; checked against one page of all. */
async function order(orderBy: Record<string, unknown>): Promise<number[]> {
  const ids: string[] = [];
  let after: string | null = null;
  for (let i = 0; i < 10; i++) {
    const p: Page = await page(orderBy, 2, after);
    ids.push(...p.ids);
    if (!p.hasNextPage) break;
    after = p.endCursor;
  }
  expect((await page(orderBy, 100)).ids).toEqual(ids);
  return ids.map((id) => Number(id.slice(-1)));
}

beforeAll(async () => {
  reg = await startTestRegistry();
  const p = reg.prisma;
  await p.user.createMany({
    data: [
      { id: owner.id, email: 'owner@lab.test', name: 'alice' },
      { id: bob, email: 'bob@lab.test', name: 'bob' },
      { id: nameless, email: 'zed@lab.test', name: '' },
    ],
  });
  await p.project.create({ data: { id: project, name: 'ordering', createdById: owner.id } });
  await p.projectMember.create({ data: { projectId: project, userId: owner.id, role: 'OWNER' } });
  await p.experiment.create({ data: { id: experiment, projectId: project, name: 'sweep', ownerId: owner.id } });
  await p.run.createMany({
    data: RUNS.map(([n, status, seconds, createdById, params]) => ({
      id: run(n),
      experimentId: experiment,
      name: `run ${n}`,
      status: status as 'RUNNING',
      startTime: new Date(t0),
      endTime: seconds === null ? null : new Date(t0 + seconds * 1000),
      createdById,
      params: params as object,
    })),
  });
});

afterAll(async () => {
  await reg?.stop();
});

describe('runs ordered by', () => {
  it('STATUS: by the status name, ties by id', async () => {
    expect(await order({ field: 'STATUS', direction: 'ASC' })).toEqual([1, 5, 2, 4, 3, 6]);
    expect(await order({ field: 'STATUS', direction: 'DESC' })).toEqual([6, 3, 4, 2, 5, 1]);
  });

  it('DURATION: end minus start, running runs last both ways', async () => {
    expect(await order({ field: 'DURATION', direction: 'ASC' })).toEqual([2, 1, 4, 5, 3, 6]);
    expect(await order({ field: 'DURATION', direction: 'DESC' })).toEqual([5, 4, 1, 2, 6, 3]);
  });

  it("AUTHOR: the creator's name, else their email", async () => {
    expect(await order({ field: 'AUTHOR', direction: 'ASC' })).toEqual([1, 3, 2, 5, 6, 4]);
    expect(await order({ field: 'AUTHOR', direction: 'DESC' })).toEqual([4, 6, 5, 2, 3, 1]);
  });

  it('a param: numbers numerically, strings apart, runs without it (or null) last', async () => {
    expect(await order({ param: 'lr', direction: 'ASC' })).toEqual([3, 2, 1, 5, 4, 6]);
    expect(await order({ param: 'lr', direction: 'DESC' })).toEqual([5, 1, 2, 3, 6, 4]);
    expect(await order({ param: 'absent', direction: 'ASC' })).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('keeps a cursor in place when runs are added before it, and orders nested lists alike', async () => {
    const first = await page({ field: 'DURATION', direction: 'ASC' }, 3);
    await reg.prisma.run.create({
      data: {
        id: run(7),
        experimentId: experiment,
        name: 'run 7',
        status: 'COMPLETED',
        startTime: new Date(t0),
        endTime: new Date(t0 + 1000),
        createdById: bob,
      },
    });
    expect((await page({ field: 'DURATION', direction: 'ASC' }, 10, first.endCursor)).ids).toEqual([5, 3, 6].map(run));
    const nested = await reg.run(
      `query($id: ID!) { experiment(id: $id) { runs(first: 3, orderBy: { param: "lr", direction: DESC }) { edges { node { id } } } } }`,
      owner,
      { id: experiment },
    );
    expect(nested.errors).toBeUndefined();
    const edges = (nested.data as { experiment: { runs: { edges: { node: { id: string } }[] } } }).experiment.runs.edges;
    expect(edges.map((e) => e.node.id)).toEqual([5, 1, 2].map(run));
  });

  it('refuses a cursor of another order, a metric with a param, and an empty param key', async () => {
    const byName = await page({ field: 'NAME', direction: 'ASC' }, 1);
    const wrong = [
      { orderBy: { field: 'DURATION' }, after: byName.endCursor },
      { orderBy: { param: 'lr', metric: { name: 'loss' } } },
      { orderBy: { param: '' } },
    ];
    for (const variables of wrong) {
      const result = await reg.run(LIST, owner, { first: 2, ...variables });
      expect(result.errors?.[0]?.extensions?.code, JSON.stringify(variables)).toBe('BAD_USER_INPUT');
    }
  });
});
