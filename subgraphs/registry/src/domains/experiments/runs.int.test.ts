/**
 * Runs as researchers keep them, through the registry's schema on embedded
 * PostgreSQL: config, source and notes at the start; updateRun (rename, tags,
 * notes, params added once, input dataset versions, status steps), audited and idempotent; deleteRun
 * (the run gone for every reader and writer at once, its deletion answered
 * again on a retry; the saga's store steps are tested end to end).
 */
import type { Caller } from '@lab/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRegistry, type TestRegistry } from '../../testing/testRegistry';

let reg: TestRegistry;
const ids = {
  owner: '00000000-0000-4000-8000-0000000a0001',
  editor: '00000000-0000-4000-8000-0000000a0002',
  other: '00000000-0000-4000-8000-0000000a0003',
  viewer: '00000000-0000-4000-8000-0000000a0004',
  stranger: '00000000-0000-4000-8000-0000000a0005',
  project: '00000000-0000-4000-8000-0000000b0001',
};
const user = (id: string): Caller => ({ id, kind: 'user', scopes: ['*'] });
const [owner, editor, other, viewer, stranger] = [ids.owner, ids.editor, ids.other, ids.viewer, ids.stranger].map(user) as [
  Caller,
  Caller,
  Caller,
  Caller,
  Caller,
];
let experimentId: string;

interface GqlError {
  message: string;
  extensions?: Record<string, unknown>;
}

async function ok<T = Record<string, unknown>>(
  query: string,
  caller: Caller,
  variables?: Record<string, unknown>,
  idempotencyKey?: string,
) {
  const result = await reg.run(query, caller, variables, idempotencyKey ? { idempotencyKey } : undefined);
  expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
  return result.data as T;
}

async function fails(query: string, caller: Caller, variables?: Record<string, unknown>): Promise<GqlError> {
  const result = await reg.run(query, caller, variables);
  expect(result.errors?.length, JSON.stringify(result.data)).toBeGreaterThan(0);
  return result.errors?.[0] as unknown as GqlError;
}

const RUN_FIELDS = 'id name status params tags config notes endTime source { commit branch dirty entryPoint host }';
const START = `mutation($input: StartRunInput!) { startRun(input: $input) { ${RUN_FIELDS} } }`;
const UPDATE = `mutation($id: ID!, $input: UpdateRunInput!) { updateRun(id: $id, input: $input) { ${RUN_FIELDS} } }`;
const READ = `query($id: ID!) { run(id: $id) { ${RUN_FIELDS} } }`;
const DELETE = 'mutation($id: ID!) { deleteRun(id: $id) { id kind status step entityType entityId } }';

interface RunAnswer {
  id: string;
  name: string;
  status: string;
  params: Record<string, string>;
  tags: Record<string, string>;
  config: Record<string, unknown>;
  notes: string;
  endTime: string | null;
  source: Record<string, unknown> | null;
}

async function start(input: Record<string, unknown> = {}, caller: Caller = editor): Promise<RunAnswer> {
  const data = await ok<{ startRun: RunAnswer }>(START, caller, { input: { experimentId, name: 'run', ...input } });
  return data.startRun;
}

function update(id: string, input: Record<string, unknown>, caller: Caller = editor, key?: string) {
  return ok<{ updateRun: RunAnswer }>(UPDATE, caller, { id, input }, key).then((d) => d.updateRun);
}

async function auditOf(entityId: string): Promise<{ action: string; summary: unknown }[]> {
  return reg.prisma.auditOutbox.findMany({
    where: { entityId },
    orderBy: { occurredAt: 'asc' },
    select: { action: true, summary: true },
  });
}

beforeAll(async () => {
  reg = await startTestRegistry();
  const p = reg.prisma;
  for (const [key, id] of Object.entries(ids)) {
    if (key !== 'project') await p.user.create({ data: { id, email: `${key}@lab.test`, name: key } });
  }
  await p.project.create({ data: { id: ids.project, name: 'runs', createdById: ids.owner } });
  await p.projectMember.createMany({
    data: [
      { projectId: ids.project, userId: ids.owner, role: 'OWNER' },
      { projectId: ids.project, userId: ids.editor, role: 'EDITOR' },
      { projectId: ids.project, userId: ids.other, role: 'EDITOR' },
      { projectId: ids.project, userId: ids.viewer, role: 'VIEWER' },
    ],
  });
  experimentId = (await p.experiment.create({ data: { projectId: ids.project, name: 'sweep', ownerId: ids.owner } })).id;
});

afterAll(async () => {
  await reg?.stop();
});

describe('startRun: config, source, notes', () => {
  it('keeps a nested config as given, numbers as numbers, and the source as first-class fields', async () => {
    const config = {
      model: { name: 'llama', layers: 32, rope: { theta: 500000.0, scaling: null } },
      optimizer: { name: 'adamw', lr: 3e-4, betas: [0.9, 0.95], fused: true },
    };
    const source = {
      commit: 'ABCDEF1234567',
      branch: 'feature/rope-scaling',
      dirty: true,
      entryPoint: 'train.py --cfg x.yaml',
      host: 'gpu-node-17.lab',
    };
    const run = await start({ config, source, notes: '# Sweep\n\n- lr 3e-4' });
    expect(run).toMatchObject({ config, notes: '# Sweep\n\n- lr 3e-4', source: { ...source, commit: 'abcdef1234567' } });
    const read = await ok<{ run: RunAnswer }>(READ, viewer, { id: run.id });
    expect(read.run.config).toEqual(config);
    expect(typeof (read.run.config.optimizer as { lr: unknown }).lr).toBe('number');
    const plain = await start();
    expect(plain).toMatchObject({ config: {}, notes: '', source: null });
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['a config nested too deep', { config: JSON.parse(`${'{"a":'.repeat(33)}1${'}'.repeat(33)}`) }, 'config'],
    ['a config holding a NUL character', { config: { a: 'x\u0000y' } }, 'config'],
    ['a config over 64 KiB', { config: { blob: 'x'.repeat(70_000) } }, 'config'],
    ['a commit that is not a hex SHA', { source: { commit: 'main' } }, 'source.commit'],
    ['a commit too short', { source: { commit: 'abc12' } }, 'source.commit'],
    ['a branch git refuses', { source: { branch: 'feature..x' } }, 'source.branch'],
    ['a branch with a space', { source: { branch: 'my branch' } }, 'source.branch'],
    ['a host with a space', { source: { host: 'gpu node' } }, 'source.host'],
    ['an entry point with a newline', { source: { entryPoint: 'a\nb' } }, 'source.entryPoint'],
    ['notes too long', { notes: 'x'.repeat(50_001) }, 'notes'],
  ])('refuses %s with BAD_USER_INPUT naming the field, writing nothing', async (_what, input, field) => {
    const before = await reg.prisma.run.count();
    const err = await fails(START, editor, { input: { experimentId, name: 'bad', ...input } });
    expect(err.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect(await reg.prisma.run.count()).toBe(before);
  });
});

describe('updateRun', () => {
  it('renames, sets and removes tags, replaces the notes; one audit event per change, none for no change', async () => {
    const run = await start({ tags: { team: 'nlp', stage: 'draft' } });
    const changed = await update(run.id, {
      name: 'lr-3e-4',
      addTags: { stage: 'final', best: 'yes' },
      removeTags: ['team'],
      notes: 'Best so far.',
    });
    expect(changed).toMatchObject({ name: 'lr-3e-4', tags: { stage: 'final', best: 'yes' }, notes: 'Best so far.' });
    const again = await update(run.id, { name: 'lr-3e-4', addTags: { best: 'yes' }, removeTags: ['absent'] });
    expect(again).toEqual(changed);
    expect((await auditOf(run.id)).map((e) => e.action)).toEqual(['run.start', 'run.update']);
  });

  it('adds params once: the same value again is nothing, another value is CONFLICT and changes nothing', async () => {
    const run = await start({ params: { lr: '0.001' } });
    expect((await update(run.id, { addParams: { batch_size: 32, warmup: '100' } })).params).toEqual({
      lr: '0.001',
      batch_size: '32',
      warmup: '100',
    });
    expect((await update(run.id, { addParams: { lr: '0.001' } })).params).toEqual({
      lr: '0.001',
      batch_size: '32',
      warmup: '100',
    });
    const err = await fails(UPDATE, editor, { id: run.id, input: { name: 'renamed', addParams: { seed: '1', lr: '0.01' } } });
    expect(err.extensions).toMatchObject({ code: 'CONFLICT', field: 'addParams.lr' });
    expect(err.message).toContain('already logged param "lr" as "0.001"');
    const read = await ok<{ run: RunAnswer }>(READ, editor, { id: run.id });
    expect(read.run).toMatchObject({ name: 'run', params: { lr: '0.001', batch_size: '32', warmup: '100' } });
    expect((await auditOf(run.id)).map((e) => e.action)).toEqual(['run.start', 'run.update']);
  });

  it('moves the status along the legal steps: finishing sets endTime, resuming clears it, others are CONFLICT', async () => {
    const run = await start();
    const done = await update(run.id, { status: 'COMPLETED' });
    expect(done.status).toBe('COMPLETED');
    expect(Date.parse(done.endTime as string)).toBeGreaterThan(Date.now() - 60_000);
    const err = await fails(UPDATE, editor, { id: run.id, input: { status: 'FAILED' } });
    expect(err.extensions).toMatchObject({ code: 'CONFLICT', from: 'COMPLETED', to: 'FAILED', allowed: ['RUNNING'] });
    const resumed = await update(run.id, { status: 'RUNNING' });
    expect(resumed).toMatchObject({ status: 'RUNNING', endTime: null });
    expect((await update(run.id, { status: 'KILLED' })).status).toBe('KILLED');
  });

  it('is idempotent under an Idempotency-Key: a retry answers the first result and writes no second event', async () => {
    const run = await start({ tags: { a: '1' } });
    const first = await update(run.id, { addTags: { b: '2' }, notes: 'n1' }, editor, 'update-once');
    // the run changes meanwhile; the retry still answers what the first attempt wrote
    await update(run.id, { notes: 'n2' });
    const retry = await update(run.id, { addTags: { b: '2' }, notes: 'n1' }, editor, 'update-once');
    expect(retry.id).toBe(first.id);
    expect((await auditOf(run.id)).filter((e) => e.action === 'run.update')).toHaveLength(2);
    const reused = await reg.run(UPDATE, editor, { id: run.id, input: { notes: 'other' } }, { idempotencyKey: 'update-once' });
    expect(reused.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', reason: 'IDEMPOTENCY_KEY_REUSED' });
  });

  it('adds input dataset versions to the lineage once; others than of its project are NOT_FOUND and write nothing', async () => {
    const p = reg.prisma;
    const version = async (projectId: string, name: string) => {
      const dataset = await p.dataset.create({ data: { projectId, name, createdById: ids.owner } });
      const v = await p.datasetVersion.create({
        data: { datasetId: dataset.id, label: 'v1', format: 'csv', createdById: ids.owner },
      });
      return v.id;
    };
    const [first, second] = [await version(ids.project, 'inputs-a'), await version(ids.project, 'inputs-b')];
    await p.project.create({ data: { id: '00000000-0000-4000-8000-0000000b0002', name: 'elsewhere', createdById: ids.owner } });
    const foreign = await version('00000000-0000-4000-8000-0000000b0002', 'inputs-c');
    const run = await start({ inputs: [first] });
    const INPUTS = `mutation($id: ID!, $input: UpdateRunInput!) { updateRun(id: $id, input: $input) { inputs { id } } }`;
    const added = await ok<{ updateRun: { inputs: { id: string }[] } }>(INPUTS, editor, {
      id: run.id,
      input: { addInputs: [second.toUpperCase(), first, second] },
    });
    expect(added.updateRun.inputs.map((v) => v.id)).toEqual([first, second]);
    await update(run.id, { addInputs: [first, second] });
    const events = await auditOf(run.id);
    expect(events.map((e) => e.action)).toEqual(['run.start', 'run.update']);
    expect(JSON.stringify(events[1]?.summary)).toContain(second);

    for (const bad of [foreign, '00000000-0000-4000-8000-000000000999', 'nope']) {
      const err = await fails(UPDATE, editor, { id: run.id, input: { name: 'renamed', addInputs: [bad] } });
      expect(err.extensions, bad).toMatchObject({ code: 'NOT_FOUND', field: 'addInputs' });
    }
    const tooMany = Array.from({ length: 1001 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
    expect((await fails(UPDATE, editor, { id: run.id, input: { addInputs: tooMany } })).extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'addInputs',
    });
    expect((await fails(UPDATE, viewer, { id: run.id, input: { addInputs: [first] } })).extensions?.code).toBe('FORBIDDEN');
    expect((await p.run.findUniqueOrThrow({ where: { id: run.id } })).name).toBe('run');
    expect(await p.runInput.count({ where: { runId: run.id } })).toBe(2);
  });

  it('checks input and roles: BAD_USER_INPUT, FORBIDDEN for a VIEWER, NOT_FOUND for a stranger', async () => {
    const run = await start();
    const bad: [Record<string, unknown>, string][] = [
      [{ addTags: { a: '1' }, removeTags: ['a'] }, 'input.removeTags'],
      [{ name: '   ' }, 'input.name'],
      [{ addTags: { 'bad key': '1' } }, 'input.addTags key "bad key"'],
      [{ addParams: { lr: { nested: 1 } } }, 'input.addParams.lr'],
      [{ notes: 'a\u0007b' }, 'input.notes'],
    ];
    for (const [input, field] of bad) {
      const err = await fails(UPDATE, editor, { id: run.id, input });
      expect(err.extensions, JSON.stringify(input)).toMatchObject({ code: 'BAD_USER_INPUT', field });
    }
    expect((await fails(UPDATE, viewer, { id: run.id, input: { name: 'x' } })).extensions?.code).toBe('FORBIDDEN');
    expect((await fails(UPDATE, stranger, { id: run.id, input: { name: 'x' } })).extensions?.code).toBe('NOT_FOUND');
  });
});

describe('deleteRun', () => {
  it('lets only the creator, the experiment owner or a project OWNER delete', async () => {
    const run = await start({}, editor);
    expect((await fails(DELETE, viewer, { id: run.id })).extensions?.code).toBe('FORBIDDEN');
    expect((await fails(DELETE, other, { id: run.id })).extensions?.code).toBe('FORBIDDEN');
    expect((await fails(DELETE, stranger, { id: run.id })).extensions?.code).toBe('NOT_FOUND');
    const byOwner = await ok<{ deleteRun: { kind: string } }>(DELETE, owner, { id: run.id });
    expect(byOwner.deleteRun.kind).toBe('run.delete');
  });

  it('makes the run gone at once for readers and writers, answers its deletion again, and purges it last', async () => {
    const run = await start({ name: 'doomed' });
    const kept = await start({ name: 'kept' });
    const deleted = await ok<{ deleteRun: { id: string; kind: string; status: string; step: string; entityId: string } }>(
      DELETE,
      editor,
      { id: run.id },
    );
    // no orchestrator here: the operation waits at its first step
    expect(deleted.deleteRun).toMatchObject({ kind: 'run.delete', status: 'RUNNING', step: 'deleteMetrics', entityId: run.id });
    expect((await fails(READ, editor, { id: run.id })).extensions?.code).toBe('NOT_FOUND');
    expect((await fails(UPDATE, editor, { id: run.id, input: { name: 'x' } })).extensions?.code).toBe('NOT_FOUND');
    const finish = 'mutation($id: ID!) { finishRun(id: $id) { id } }';
    expect((await fails(finish, editor, { id: run.id })).extensions?.code).toBe('NOT_FOUND');
    const access = await ok<{ _ownership: { canRead: boolean }[] }>(
      'query($r: [OwnershipRef!]!) { _ownership(refs: $r) { canRead } }',
      editor,
      {
        r: [
          { kind: 'RUN', id: run.id },
          { kind: 'RUN', id: kept.id },
        ],
      },
    );
    expect(access._ownership.map((o) => o.canRead)).toEqual([false, true]);
    const list = await ok<{ experiment: { runs: { edges: { node: { id: string } }[] }; runCount: number } }>(
      "query($id: ID!) { experiment(id: $id) { runCount runs(first: 100, search: \"name = 'doomed' OR name = 'kept'\") { edges { node { id } } } } }",
      viewer,
      { id: experimentId },
    );
    expect(list.experiment.runs.edges.map((e) => e.node.id)).toEqual([kept.id]);
    const top = await ok<{ runs: { totalCount: number } }>('{ runs(search: "name = \'doomed\'") { totalCount } }', viewer);
    expect(top.runs.totalCount).toBe(0);

    const retry = await ok<{ deleteRun: { id: string } }>(DELETE, editor, { id: run.id });
    expect(retry.deleteRun.id).toBe(deleted.deleteRun.id);
    expect((await auditOf(run.id)).map((e) => e.action)).toEqual(['run.start', 'run.delete']);

    expect(await reg.store.runs.purgeRun(run.id)).toBe(true);
    expect(await reg.store.runs.purgeRun(run.id)).toBe(false);
    expect(await reg.prisma.run.findUnique({ where: { id: run.id } })).toBeNull();
    expect((await ok<{ deleteRun: { id: string } }>(DELETE, editor, { id: run.id })).deleteRun.id).toBe(deleted.deleteRun.id);
    await expect(reg.store.runs.purgeRun(kept.id)).rejects.toThrow(/not marked deleted/);
  });
});
