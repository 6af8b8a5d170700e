/** Experiments and runs through the registry's schema on embedded PostgreSQL: writes, rules, roles, lists, search. */
import type { Caller } from '@lab/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRegistry, type TestRegistry } from '../../testing/testRegistry';

let reg: TestRegistry;
const ids = {
  alice: '00000000-0000-4000-8000-00000000a11c',
  bob: '00000000-0000-4000-8000-000000000b0b',
  vic: '00000000-0000-4000-8000-000000000f1c',
  eve: '00000000-0000-4000-8000-000000000e7e',
  p1: '00000000-0000-4000-8000-0000000000a1',
  p2: '00000000-0000-4000-8000-0000000000a2',
  p3: '00000000-0000-4000-8000-0000000000a3',
};
const user = (id: string): Caller => ({ id, kind: 'user', scopes: ['*'] });
const alice = user(ids.alice);
const bob = user(ids.bob);
const vic = user(ids.vic);
const eve = user(ids.eve);

interface GqlError {
  message: string;
  extensions?: Record<string, unknown>;
}

async function ok<T = Record<string, unknown>>(query: string, caller: Caller, variables?: Record<string, unknown>) {
  const result = await reg.run(query, caller, variables);
  expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
  return result.data as T;
}

async function fails(query: string, caller: Caller, variables?: Record<string, unknown>): Promise<GqlError> {
  const result = await reg.run(query, caller, variables);
  expect(result.errors?.length, JSON.stringify(result.data)).toBeGreaterThan(0);
  return result.errors?.[0] as unknown as GqlError;
}

const CREATE = `mutation($input: CreateExperimentInput!) {
  createExperiment(input: $input) { id project { id name } name description status config tags owner { id name } createdAt updatedAt runCount }
}`;
const UPDATE = `mutation($id: ID!, $input: UpdateExperimentInput!) { updateExperiment(id: $id, input: $input) { id name status tags config } }`;
const START = `mutation($input: StartRunInput!) {
  startRun(input: $input) { id name status params tags startTime endTime duration createdBy { name } experiment { id name } }
}`;
const FINISH = `mutation($id: ID!, $status: RunEndStatus, $endTime: DateTime) {
  finishRun(id: $id, status: $status, endTime: $endTime) { id status startTime endTime duration }
}`;

async function createExperiment(input: Record<string, unknown>, caller: Caller = bob) {
  const data = await ok<{ createExperiment: { id: string; name: string } }>(CREATE, caller, {
    input: { projectId: ids.p1, ...input },
  });
  return data.createExperiment;
}

async function startRun(input: Record<string, unknown>, caller: Caller = bob) {
  const data = await ok<{ startRun: { id: string; startTime: string } }>(START, caller, { input });
  return data.startRun;
}

beforeAll(async () => {
  reg = await startTestRegistry();
  const p = reg.prisma;
  for (const [key, name] of [
    ['alice', 'Alice'],
    ['bob', 'Bob'],
    ['vic', 'Vic'],
    ['eve', 'Eve'],
  ] as const) {
    await p.user.create({ data: { id: ids[key], email: `${key}@lab.test`, name } });
  }
  for (const key of ['p1', 'p2', 'p3'] as const) {
    await p.project.create({ data: { id: ids[key], name: `project-${key}`, createdById: ids.alice } });
  }
  await p.projectMember.createMany({
    data: [
      { projectId: ids.p1, userId: ids.alice, role: 'OWNER' },
      { projectId: ids.p1, userId: ids.bob, role: 'EDITOR' },
      { projectId: ids.p1, userId: ids.vic, role: 'VIEWER' },
      { projectId: ids.p2, userId: ids.alice, role: 'OWNER' },
      { projectId: ids.p2, userId: ids.bob, role: 'EDITOR' },
      { projectId: ids.p3, userId: ids.bob, role: 'EDITOR' },
    ],
  });
});

afterAll(async () => {
  await reg?.stop();
});

describe('createExperiment', () => {
  it('creates a DRAFT experiment owned by the caller, tags stored as strings', async () => {
    const data = await ok<{ createExperiment: Record<string, unknown> }>(CREATE, bob, {
      input: {
        projectId: ids.p1,
        name: '  baseline  ',
        description: 'first try',
        config: { lr: [0.1, 0.01] },
        tags: { team: 'nlp', seed: 7 },
      },
    });
    expect(data.createExperiment).toMatchObject({
      name: 'baseline',
      description: 'first try',
      status: 'DRAFT',
      config: { lr: [0.1, 0.01] },
      tags: { team: 'nlp', seed: '7' },
      owner: { id: ids.bob, name: 'Bob' },
      project: { id: ids.p1, name: 'project-p1' },
      runCount: 0,
    });
    const id = data.createExperiment.id as string;
    const read = await ok<{ experiment: { name: string } }>('query($id: ID!) { experiment(id: $id) { name } }', vic, { id });
    expect(read.experiment.name).toBe('baseline');
  });

  it('refuses a duplicate name in the same project with CONFLICT, allows it in another', async () => {
    await createExperiment({ name: 'dup' });
    const err = await fails(CREATE, bob, { input: { projectId: ids.p1, name: 'dup' } });
    expect(err.extensions?.code).toBe('CONFLICT');
    expect(err.message).toContain('experiment "dup"');
    await ok(CREATE, bob, { input: { projectId: ids.p2, name: 'dup' } });
  });

  it.each([
    [{ name: '' }, 'name', /name must not be empty/],
    [{ name: 'x'.repeat(129) }, 'name', /at most 128/],
    [{ name: '-leading' }, 'name', /must start with a letter or digit/],
    [{ name: 'big', config: { blob: 'x'.repeat(70_000) } }, 'config', /at most 65536 bytes/],
    [{ name: 'tagged', tags: { team: { nested: true } } }, 'tags.team', /must be a string, number or boolean/],
    [{ name: 'tagged2', tags: { 'bad key!': 'x' } }, 'tags key "bad key!"', /must start with a letter or digit/],
    [{ name: 'described', description: 'bell\u0007' }, 'description', /control characters/],
    [{ name: 'nul-value', config: { deep: [{ note: 'a\u0000b' }] } }, 'config', /must not contain NUL characters/],
    [{ name: 'nul-key', config: { 'a\u0000': 1 } }, 'config', /must not contain NUL characters/],
    [{ name: 'nul-tag', tags: { team: 'x\u0000' } }, 'tags', /must not contain NUL characters/],
  ])('refuses bad input with BAD_USER_INPUT naming the field (%#: %s)', async (input, field, message) => {
    const err = await fails(CREATE, bob, { input: { projectId: ids.p1, ...input } });
    expect(err.extensions?.code).toBe('BAD_USER_INPUT');
    expect(err.extensions?.field).toBe(field);
    expect(err.message).toMatch(message);
  });

  it('enforces roles: VIEWER gets FORBIDDEN, a non-member NOT_FOUND', async () => {
    const forbidden = await fails(CREATE, vic, { input: { projectId: ids.p1, name: 'by-viewer' } });
    expect(forbidden.extensions?.code).toBe('FORBIDDEN');
    expect(forbidden.message).toMatch(/EDITOR role.*you have VIEWER/);
    const hidden = await fails(CREATE, eve, { input: { projectId: ids.p1, name: 'by-stranger' } });
    expect(hidden.extensions?.code).toBe('NOT_FOUND');
    const malformed = await fails(CREATE, bob, { input: { projectId: 'nope', name: 'x' } });
    expect(malformed.extensions?.code).toBe('NOT_FOUND');
  });
});

describe('reading experiments', () => {
  it('hides experiments of other projects: NOT_FOUND by id, left out of lists', async () => {
    const { id } = await createExperiment({ name: 'secret' });
    const err = await fails('query($id: ID!) { experiment(id: $id) { id } }', eve, { id });
    expect(err.extensions?.code).toBe('NOT_FOUND');
    const list = await ok<{ experiments: { totalCount: number; edges: unknown[] } }>(
      '{ experiments { totalCount edges { node { id } } } }',
      eve,
    );
    expect(list.experiments).toEqual({ totalCount: 0, edges: [] });
    const unknown = await fails('{ experiment(id: "00000000-0000-4000-8000-000000000999") { id } }', alice);
    expect(unknown.extensions?.code).toBe('NOT_FOUND');
  });

  it('resolves Experiment references only for readers', async () => {
    const { id } = await createExperiment({ name: 'referenced' });
    const query = 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Experiment { id name } } }';
    const r = [{ __typename: 'Experiment', id }];
    expect((await ok<{ _entities: unknown[] }>(query, vic, { r }))._entities).toEqual([{ id, name: 'referenced' }]);
    expect((await ok<{ _entities: unknown[] }>(query, eve, { r }))._entities).toEqual([null]);
  });
});

describe('updateExperiment', () => {
  it('follows the legal status steps and refuses others with CONFLICT naming the allowed targets', async () => {
    const { id } = await createExperiment({ name: 'lifecycle' });
    for (const status of ['RUNNING', 'COMPLETED', 'RUNNING', 'FAILED', 'ARCHIVED', 'DRAFT']) {
      const data = await ok<{ updateExperiment: { status: string } }>(UPDATE, bob, { id, input: { status } });
      expect(data.updateExperiment.status).toBe(status);
    }
    const err = await fails(UPDATE, bob, { id, input: { status: 'COMPLETED' } });
    expect(err.extensions?.code).toBe('CONFLICT');
    expect(err.message).toBe('An experiment cannot go from DRAFT to COMPLETED; from DRAFT it may go to RUNNING or ARCHIVED');
    const archived = await ok<{ updateExperiment: { status: string } }>(UPDATE, bob, { id, input: { status: 'ARCHIVED' } });
    expect(archived.updateExperiment.status).toBe('ARCHIVED');
    const again = await fails(UPDATE, bob, { id, input: { status: 'RUNNING' } });
    expect(again.message).toMatch(/from ARCHIVED to RUNNING; from ARCHIVED it may go to DRAFT/);
  });

  it('lets one of two concurrent status changes win, the other is CONFLICT', async () => {
    // from RUNNING both are legal, but neither is legal after the other
    for (let i = 0; i < 5; i++) {
      const { id } = await createExperiment({ name: `raced-${i}` });
      await ok(UPDATE, bob, { id, input: { status: 'RUNNING' } });
      const results = await Promise.all(['COMPLETED', 'FAILED'].map((status) => reg.run(UPDATE, bob, { id, input: { status } })));
      const won = results.filter((r) => !r.errors);
      expect(won).toHaveLength(1);
      expect(results.filter((r) => r.errors?.[0]?.extensions?.code === 'CONFLICT')).toHaveLength(1);
      const stored = await reg.prisma.experiment.findUniqueOrThrow({ where: { id } });
      const winner = won[0]?.data?.updateExperiment as { status: string } | undefined;
      expect(stored.status).toBe(winner?.status);
    }
  });

  it('changes name, tags and config; a taken name is CONFLICT; a VIEWER is FORBIDDEN', async () => {
    const { id } = await createExperiment({ name: 'renamable' });
    await createExperiment({ name: 'taken' });
    const data = await ok<{ updateExperiment: Record<string, unknown> }>(UPDATE, bob, {
      id,
      input: { name: 'renamed', tags: { a: 'b' }, config: { depth: 3 } },
    });
    expect(data.updateExperiment).toMatchObject({ name: 'renamed', tags: { a: 'b' }, config: { depth: 3 }, status: 'DRAFT' });
    expect((await fails(UPDATE, bob, { id, input: { name: 'taken' } })).extensions?.code).toBe('CONFLICT');
    expect((await fails(UPDATE, vic, { id, input: { name: 'by-viewer' } })).extensions?.code).toBe('FORBIDDEN');
    expect((await fails(UPDATE, eve, { id, input: { name: 'by-stranger' } })).extensions?.code).toBe('NOT_FOUND');
  });
});

describe('experiments list', () => {
  const PAGE = `query($first: Int, $after: String, $orderBy: ExperimentOrder, $filter: ExperimentFilter) {
    experiments(first: $first, after: $after, orderBy: $orderBy, filter: $filter) {
      totalCount edges { cursor node { name } } pageInfo { hasNextPage hasPreviousPage endCursor }
    }
  }`;
  type Page = {
    experiments: {
      totalCount: number;
      edges: { cursor: string; node: { name: string } }[];
      pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; endCursor: string | null };
    };
  };

  beforeAll(async () => {
    for (let i = 0; i < 25; i++) {
      await ok(CREATE, bob, {
        input: {
          projectId: ids.p3,
          name: `exp-${String(i).padStart(2, '0')}${i === 3 ? '_x' : ''}`,
          tags: { parity: i % 2 === 0 ? 'even' : 'odd', group: i < 10 ? 'a' : 'b' },
          config: { model: { family: i % 5 === 0 ? 'llama' : 'gpt' } },
        },
      });
    }
  });

  async function all(orderBy: Record<string, string>, first: number): Promise<string[]> {
    const names: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: Page = await ok<Page>(PAGE, bob, { first, after, orderBy, filter: { projectId: ids.p3 } });
      names.push(...page.experiments.edges.map((e) => e.node.name));
      expect(page.experiments.totalCount).toBe(25);
      expect(page.experiments.pageInfo.hasPreviousPage).toBe(after !== null);
      if (!page.experiments.pageInfo.hasNextPage) break;
      after = page.experiments.pageInfo.endCursor;
    }
    return names;
  }

  it('pages through every row once, in a stable order, by each sort field', async () => {
    const expected = Array.from({ length: 25 }, (_, i) => `exp-${String(i).padStart(2, '0')}${i === 3 ? '_x' : ''}`);
    expect(await all({ field: 'NAME', direction: 'ASC' }, 7)).toEqual(expected);
    expect(await all({ field: 'NAME', direction: 'DESC' }, 10)).toEqual([...expected].reverse());
    const byCreated = await all({ field: 'CREATED_AT', direction: 'ASC' }, 4);
    expect(byCreated).toEqual(expected);
    expect(await all({ field: 'CREATED_AT', direction: 'ASC' }, 4)).toEqual(byCreated);
    expect((await all({ field: 'UPDATED_AT', direction: 'DESC' }, 6)).sort()).toEqual(expected);
  });

  it('bounds first and refuses foreign cursors', async () => {
    for (const first of [-1, 101]) {
      const err = await fails(PAGE, bob, { first });
      expect(err.extensions?.code).toBe('BAD_USER_INPUT');
      expect(err.message).toMatch(/first must be an integer from 0 to 100/);
    }
    const zero = await ok<Page>(PAGE, bob, { first: 0, filter: { projectId: ids.p3 } });
    expect(zero.experiments.edges).toEqual([]);
    expect(zero.experiments.totalCount).toBe(25);
    const err = await fails(PAGE, bob, { after: 'garbage' });
    expect(err.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('filters by status, tags, name, config and creation time', async () => {
    const names = async (filter: Record<string, unknown>) =>
      (
        await ok<Page>(PAGE, bob, {
          first: 100,
          filter: { projectId: ids.p3, ...filter },
          orderBy: { field: 'NAME', direction: 'ASC' },
        })
      ).experiments.edges.map((e) => e.node.name);
    expect(await names({ tags: { parity: 'even', group: 'a' } })).toEqual(['exp-00', 'exp-02', 'exp-04', 'exp-06', 'exp-08']);
    expect(await names({ nameSearch: '3_X' })).toEqual(['exp-03_x']);
    expect(await names({ nameSearch: 'p_0' })).toEqual([]);
    expect(await names({ nameSearch: 'exp-2' })).toEqual(['exp-20', 'exp-21', 'exp-22', 'exp-23', 'exp-24']);
    expect(await names({ configContains: { model: { family: 'llama' } } })).toEqual([
      'exp-00',
      'exp-05',
      'exp-10',
      'exp-15',
      'exp-20',
    ]);
    expect(await names({ status: ['RUNNING'] })).toEqual([]);
    expect((await names({ status: ['DRAFT', 'RUNNING'] })).length).toBe(25);
    expect((await names({ created: { from: new Date(Date.now() + 60_000).toISOString() } })).length).toBe(0);
    expect((await names({ createdBefore: new Date(Date.now() + 60_000).toISOString() })).length).toBe(25);
    const err = await fails(PAGE, bob, { filter: { tags: { x: [1] } } });
    expect(err.extensions?.field).toBe('filter.tags.x');
    const range = await fails(PAGE, bob, { filter: { created: { from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z' } } });
    expect(range.extensions?.field).toBe('filter.created');
  });
});

describe('runs', () => {
  let experimentId: string;
  let datasetVersion: string;
  let foreignVersion: string;

  beforeAll(async () => {
    experimentId = (await createExperiment({ name: 'with-runs' })).id;
    const dataset = await reg.prisma.dataset.create({ data: { projectId: ids.p1, name: 'corpus', createdById: ids.alice } });
    datasetVersion = (
      await reg.prisma.datasetVersion.create({
        data: { datasetId: dataset.id, label: 'v1', format: 'parquet', createdById: ids.alice },
      })
    ).id;
    const other = await reg.prisma.dataset.create({ data: { projectId: ids.p2, name: 'other', createdById: ids.alice } });
    foreignVersion = (
      await reg.prisma.datasetVersion.create({
        data: { datasetId: other.id, label: 'v1', format: 'csv', createdById: ids.alice },
      })
    ).id;
  });

  it('starts a RUNNING run with its lineage, and finishes it once', async () => {
    const data = await ok<{ startRun: Record<string, unknown> }>(START, bob, {
      input: {
        experimentId,
        name: 'run-1',
        params: { lr: 0.01, layers: 12 },
        tags: { team: 'nlp' },
        inputs: [datasetVersion, datasetVersion],
        startTime: '2026-11-01T10:00:00.000Z',
      },
    });
    const run = data.startRun;
    expect(run).toMatchObject({
      name: 'run-1',
      status: 'RUNNING',
      params: { lr: '0.01', layers: '12' },
      startTime: '2026-11-01T10:00:00.000Z',
      endTime: null,
      duration: null,
      createdBy: { name: 'Bob' },
      experiment: { id: experimentId, name: 'with-runs' },
    });
    const lineage = await reg.prisma.runInput.findMany({ where: { runId: run.id as string } });
    expect(lineage.map((l) => l.datasetVersionId)).toEqual([datasetVersion]);

    const early = await fails(FINISH, bob, { id: run.id, endTime: '2026-10-01T00:00:00.000Z' });
    expect(early.extensions?.field).toBe('endTime');
    const finished = await ok<{ finishRun: Record<string, unknown> }>(FINISH, bob, {
      id: run.id,
      status: 'FAILED',
      endTime: '2026-11-01T10:01:30.500Z',
    });
    expect(finished.finishRun).toMatchObject({ status: 'FAILED', endTime: '2026-11-01T10:01:30.500Z', duration: 90.5 });
    const again = await fails(FINISH, bob, { id: run.id });
    expect(again.extensions?.code).toBe('CONFLICT');
    expect(again.message).toMatch(/is FAILED: only a RUNNING run can be finished/);
  });

  it('finishes a run once when finishRun races with itself', async () => {
    const { id } = await startRun({ experimentId, name: 'raced-run' });
    const results = await Promise.all(
      (['COMPLETED', 'FAILED', 'KILLED', 'COMPLETED', 'FAILED'] as const).map((status) => reg.run(FINISH, bob, { id, status })),
    );
    expect(results.filter((r) => !r.errors)).toHaveLength(1);
    expect(results.filter((r) => r.errors?.[0]?.extensions?.code === 'CONFLICT')).toHaveLength(4);
  });

  it('refuses inputs from another project or unknown, writing nothing', async () => {
    for (const input of [foreignVersion, '00000000-0000-4000-8000-000000000999', 'nope']) {
      const err = await fails(START, bob, { input: { experimentId, name: 'bad-inputs', inputs: [datasetVersion, input] } });
      expect(err.extensions?.code).toBe('NOT_FOUND');
      expect(err.message).toContain('dataset version');
    }
    expect(await reg.prisma.run.count({ where: { name: 'bad-inputs' } })).toBe(0);
  });

  it('enforces roles on runs', async () => {
    expect((await fails(START, vic, { input: { experimentId, name: 'r' } })).extensions?.code).toBe('FORBIDDEN');
    expect((await fails(START, eve, { input: { experimentId, name: 'r' } })).extensions?.code).toBe('NOT_FOUND');
    const { id } = await startRun({ experimentId, name: 'guarded' });
    expect((await fails(FINISH, vic, { id })).extensions?.code).toBe('FORBIDDEN');
    expect((await fails('query($id: ID!) { run(id: $id) { id } }', eve, { id })).extensions?.code).toBe('NOT_FOUND');
    expect((await ok<{ run: { name: string } }>('query($id: ID!) { run(id: $id) { name } }', vic, { id })).run.name).toBe(
      'guarded',
    );
  });

  describe('lists and search', () => {
    let searchExperiment: string;
    const RUNS = `query($filter: RunFilter, $search: String, $orderBy: RunOrder, $first: Int, $after: String) {
      runs(filter: $filter, search: $search, orderBy: $orderBy, first: $first, after: $after) {
        totalCount edges { node { name } } pageInfo { hasNextPage endCursor }
      }
    }`;
    type Runs = {
      runs: { totalCount: number; edges: { node: { name: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string } };
    };
    const names = async (vars: Record<string, unknown>, caller: Caller = bob) =>
      (
        await ok<Runs>(RUNS, caller, {
          ...vars,
          filter: { experimentId: searchExperiment, ...(vars.filter as object) },
          orderBy: { field: 'NAME', direction: 'ASC' },
        })
      ).runs.edges.map((e) => e.node.name);

    beforeAll(async () => {
      searchExperiment = (await createExperiment({ name: 'search-space' })).id;
      const grid = [
        ['s-a', '0.1', 'nlp', 'COMPLETED'],
        ['s-b', '0.01', 'nlp', 'FAILED'],
        ['s-c', '0.001', 'vision', 'FAILED'],
        ['s-d', '0.1', 'vision', null],
        ['s-e', 'auto', 'nlp', 'KILLED'],
      ] as const;
      for (const [i, [name, lr, team, end]] of grid.entries()) {
        const run = await startRun({
          experimentId: searchExperiment,
          name,
          params: { lr },
          tags: { team },
          startTime: `2026-11-0${i + 1}T00:00:00.000Z`,
        });
        if (end) await ok(FINISH, bob, { id: run.id, status: end, endTime: `2026-11-0${i + 1}T01:00:00.000Z` });
      }
    });

    it('filters by status, tags, params, name and start time', async () => {
      expect(await names({ filter: { status: ['FAILED', 'KILLED'] } })).toEqual(['s-b', 's-c', 's-e']);
      expect(await names({ filter: { tags: { team: 'vision' } } })).toEqual(['s-c', 's-d']);
      expect(await names({ filter: { paramsContains: { lr: '0.1' } } })).toEqual(['s-a', 's-d']);
      expect(await names({ filter: { nameSearch: 'S-E' } })).toEqual(['s-e']);
      expect(await names({ filter: { started: { from: '2026-11-02T00:00:00Z', to: '2026-11-04T00:00:00Z' } } })).toEqual([
        's-b',
        's-c',
      ]);
      expect(await names({ filter: { projectId: ids.p1, nameSearch: 's-' } })).toHaveLength(5);
      expect(await names({ filter: { projectId: ids.p2 } })).toEqual([]);
      expect(await names({}, eve)).toEqual([]);
    });

    it('searches with the filter language: AND, OR, parentheses, numbers', async () => {
      expect(await names({ search: "params.lr > 0.005 AND (tags.team = 'nlp' OR status = 'FAILED')" })).toEqual(['s-a', 's-b']);
      expect(await names({ search: "tags.team = 'vision' OR params.lr = 'auto'" })).toEqual(['s-c', 's-d', 's-e']);
      expect(await names({ search: "NOT (status = 'RUNNING') AND params.lr < 0.05" })).toEqual(['s-b', 's-c']);
      expect(await names({ search: 'params.lr >= 0.1', filter: { tags: { team: 'vision' } } })).toEqual(['s-d']);
    });

    it('refuses a malformed search with BAD_USER_INPUT pointing at the column', async () => {
      const err = await fails(RUNS, bob, { search: "params.lr > AND status = 'FAILED'" });
      expect(err.extensions?.code).toBe('BAD_USER_INPUT');
      expect(err.message).toMatch(/^Invalid filter at column 13/);
      expect(err.extensions?.filter).toMatchObject({ position: 13 });
    });

    it('pages runs with cursors, and lists them under their experiment with counts', async () => {
      const first = await ok<Runs>(RUNS, bob, {
        filter: { experimentId: searchExperiment },
        first: 2,
        orderBy: { field: 'START_TIME', direction: 'ASC' },
      });
      expect(first.runs.edges.map((e) => e.node.name)).toEqual(['s-a', 's-b']);
      expect(first.runs.totalCount).toBe(5);
      const next = await ok<Runs>(RUNS, bob, {
        filter: { experimentId: searchExperiment },
        first: 10,
        after: first.runs.pageInfo.endCursor,
        orderBy: { field: 'START_TIME', direction: 'ASC' },
      });
      expect(next.runs.edges.map((e) => e.node.name)).toEqual(['s-c', 's-d', 's-e']);
      const nested = await ok<{ experiment: Record<string, unknown> }>(
        `query($id: ID!) { experiment(id: $id) {
          runCount
          all: runs(first: 2, orderBy: { field: NAME, direction: DESC }) { totalCount edges { node { name } } pageInfo { hasNextPage } }
          failed: runs(filter: { status: [FAILED] }, search: "params.lr < 0.005") { totalCount edges { node { name duration } } }
        } }`,
        bob,
        { id: searchExperiment },
      );
      expect(nested.experiment).toEqual({
        runCount: 5,
        all: { totalCount: 5, edges: [{ node: { name: 's-e' } }, { node: { name: 's-d' } }], pageInfo: { hasNextPage: true } },
        failed: { totalCount: 1, edges: [{ node: { name: 's-c', duration: 3600 } }] },
      });
    });
  });
});
