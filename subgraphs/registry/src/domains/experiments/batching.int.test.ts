/**
 * No N+1: the nested list of experiments, their owners, their runs and the
 * runs' creators costs a fixed number of SQL statements, whatever the number
 * of rows. Statements are counted at the pg client, below Prisma.
 */
import type { Caller } from '@lab/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRegistry, type TestRegistry } from '../../testing/testRegistry';

let reg: TestRegistry;
const viewer = '00000000-0000-4000-8000-00000000b001';
const caller: Caller = { id: viewer, kind: 'user', scopes: ['*'] };
const projects = { small: '00000000-0000-4000-8000-00000000c010', large: '00000000-0000-4000-8000-00000000c100' };
const owners = Array.from({ length: 7 }, (_, i) => `00000000-0000-4000-8000-00000000d00${i}`);
/** Run creators are other users than the owners, so the creators' batch is a query of its own. */
const creators = Array.from({ length: 5 }, (_, i) => `00000000-0000-4000-8000-00000000e00${i}`);

const QUERY = `query($projectId: ID!) {
  experiments(first: 100, filter: { projectId: $projectId }) {
    edges { node {
      name
      owner { name }
      runs(first: 10) { edges { node { name config notes source { commit branch } createdBy { name } } } totalCount }
    } }
  }
}`;

interface Result {
  experiments: {
    edges: {
      node: {
        name: string;
        owner: { name: string };
        runs: { totalCount: number; edges: { node: { createdBy: { name: string } } }[] };
      };
    }[];
  };
}

async function seed(projectId: string, experiments: number, runsEach: number) {
  await reg.prisma.project.create({ data: { id: projectId, name: `p-${experiments}`, createdById: owners[0] as string } });
  await reg.prisma.projectMember.create({ data: { projectId, userId: viewer, role: 'VIEWER' } });
  const rows = Array.from({ length: experiments }, (_, i) => ({
    projectId,
    name: `e-${i}`,
    ownerId: owners[i % owners.length] as string,
  }));
  await reg.prisma.experiment.createMany({ data: rows });
  const created = await reg.prisma.experiment.findMany({ where: { projectId }, select: { id: true } });
  await reg.prisma.run.createMany({
    data: created.flatMap((e, i) =>
      // one more run than a page holds, so hasNextPage and totalCount have something to say
      Array.from({ length: runsEach + 1 }, (_, j) => ({
        experimentId: e.id,
        name: `r-${i}-${j}`,
        createdById: creators[(i + j) % creators.length] as string,
      })),
    ),
  });
}

async function measure(projectId: string): Promise<{ statements: string[]; data: Result }> {
  reg.statements.length = 0;
  const result = await reg.run(QUERY, caller, { projectId });
  expect(result.errors).toBeUndefined();
  return { statements: [...reg.statements], data: result.data as unknown as Result };
}

beforeAll(async () => {
  reg = await startTestRegistry();
  await reg.prisma.user.createMany({
    data: [viewer, ...owners, ...creators].map((id, i) => ({ id, email: `u${i}@lab.test`, name: `User ${i}` })),
  });
  await seed(projects.small, 10, 10);
  await seed(projects.large, 100, 10);
});

afterAll(async () => {
  await reg?.stop();
});

describe('experiments → owner, runs → createdBy', () => {
  it('costs the same fixed number of SQL statements for 10 and for 100 experiments', async () => {
    const small = await measure(projects.small);
    const large = await measure(projects.large);

    expect(small.data.experiments.edges).toHaveLength(10);
    expect(large.data.experiments.edges).toHaveLength(100);
    for (const { node } of large.data.experiments.edges) {
      expect(node.owner.name).toMatch(/^User \d+$/);
      expect(node.runs.edges).toHaveLength(10);
      expect(node.runs.totalCount).toBe(11);
      for (const run of node.runs.edges) expect(run.node.createdBy.name).toMatch(/^User \d+$/);
    }

    expect(large.statements.length).toBe(small.statements.length);
    // memberships (once per request), the experiments page, owners, the run pages of every
    // experiment (one window-function query), their counts (one GROUP BY), the runs' creators
    expect(small.statements).toHaveLength(6);
    const runQueries = large.statements.filter((s) => /FROM runs r/.test(s));
    expect(runQueries).toHaveLength(2);
    expect(runQueries.some((s) => /ROW_NUMBER\(\) OVER \(PARTITION BY r\.experiment_id/.test(s))).toBe(true);
    expect(runQueries.some((s) => /GROUP BY r\.experiment_id/.test(s))).toBe(true);
    expect(large.statements.filter((s) => /project_members/.test(s))).toHaveLength(1);
    expect(large.statements.filter((s) => /"users"/.test(s))).toHaveLength(2);
  });
});
