/**
 * The audit outbox on embedded PostgreSQL: every registry mutation writes its
 * audit event in its own transaction (none for a refused or failed one, and
 * no change without its event); the relay's claim ships each event once,
 * two claims never share a row, and a failed send leaves them waiting.
 */
import { type AuditEvent, type Caller, changeDigest } from '@lab/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRegistry, type TestRegistry } from '../testing/testRegistry';

let reg: TestRegistry;
const ids = {
  admin: '00000000-0000-4000-8000-000000000001',
  alice: '00000000-0000-4000-8000-00000000a11c',
  bob: '00000000-0000-4000-8000-000000000b0b',
};
const admin: Caller = { id: ids.admin, kind: 'admin', scopes: ['*'] };
const alice: Caller = { id: ids.alice, kind: 'user', scopes: ['*'] };

// biome-ignore lint/suspicious/noExplicitAny: answers are checked field by field
async function ok(query: string, caller: Caller, variables?: Record<string, unknown>): Promise<any> {
  const result = await reg.run(query, caller, variables);
  expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
  return result.data;
}

async function code(query: string, caller: Caller, variables?: Record<string, unknown>): Promise<unknown> {
  const result = await reg.run(query, caller, variables);
  return result.errors?.[0]?.extensions?.code;
}

const outbox = () => reg.prisma.auditOutbox.findMany({ orderBy: [{ occurredAt: 'asc' }, { id: 'asc' }] });

beforeAll(async () => {
  reg = await startTestRegistry();
  for (const [id, name] of [
    [ids.alice, 'alice'],
    [ids.bob, 'bob'],
  ] as const) {
    await reg.prisma.user.create({ data: { id, email: `${name}@lab.test`, name } });
  }
});
afterAll(async () => {
  await reg?.stop();
});

describe('audit outbox', () => {
  it('every registry mutation writes one event in its transaction: who, what, which entity, which project, request id, digest', async () => {
    await reg.prisma.auditOutbox.deleteMany();
    const user = (await ok(`mutation { createUser(input: { email: "carol@lab.test", name: "Carol" }) { id } }`, admin))
      .createUser;
    const key = (
      await ok(
        `mutation($u: ID!) { createApiKey(input: { name: "laptop", userId: $u, scopes: ["read"] }) { apiKey { id } secret } }`,
        admin,
        {
          u: ids.alice,
        },
      )
    ).createApiKey;
    const project = (await ok(`mutation { createProject(input: { name: "audited", metadata: { team: "core" } }) { id } }`, alice))
      .createProject;
    const p = project.id as string;
    await ok(`mutation($p: ID!) { updateProject(id: $p, input: { description: "now described" }) { id } }`, alice, { p });
    await ok(`mutation($p: ID!, $u: ID!) { addProjectMember(projectId: $p, userId: $u, role: VIEWER) { role } }`, alice, {
      p,
      u: ids.bob,
    });
    await ok(`mutation($p: ID!, $u: ID!) { updateProjectMember(projectId: $p, userId: $u, role: EDITOR) { role } }`, alice, {
      p,
      u: ids.bob,
    });
    await ok(`mutation($p: ID!, $u: ID!) { addProjectMember(projectId: $p, userId: $u, role: VIEWER) { role } }`, alice, {
      p,
      u: user.id,
    });
    await ok(`mutation($p: ID!, $u: ID!) { removeProjectMember(projectId: $p, userId: $u) { id } }`, alice, { p, u: user.id });
    const exp = (
      await ok(`mutation($p: ID!) { createExperiment(input: { projectId: $p, name: "baseline" }) { id } }`, alice, { p })
    ).createExperiment;
    await ok(`mutation($id: ID!) { updateExperiment(id: $id, input: { status: RUNNING }) { id } }`, alice, { id: exp.id });
    const run = (
      await ok(`mutation($e: ID!) { startRun(input: { experimentId: $e, name: "r1", params: { lr: 0.1 } }) { id } }`, alice, {
        e: exp.id,
      })
    ).startRun;
    await ok(`mutation($id: ID!) { finishRun(id: $id) { id } }`, alice, { id: run.id });
    const model = (
      await ok(`mutation($p: ID!) { registerModel(input: { projectId: $p, name: "llama-ft" }) { id } }`, alice, { p })
    ).registerModel;
    const mv = (
      await ok(
        `mutation($m: ID!, $r: ID!) { createModelVersion(input: { modelId: $m, sourceRunId: $r }) { id version } }`,
        alice,
        { m: model.id, r: run.id },
      )
    ).createModelVersion;
    await ok(`mutation($m: ID!) { setModelAlias(modelId: $m, alias: "production", version: 1) { alias } }`, alice, {
      m: model.id,
    });
    await ok(`mutation($m: ID!) { deleteModelAlias(modelId: $m, alias: "production") }`, alice, { m: model.id });
    const ds = (await ok(`mutation($p: ID!) { createDataset(input: { projectId: $p, name: "corpus" }) { id } }`, alice, { p }))
      .createDataset;
    const dv = (
      await ok(
        `mutation($d: ID!) { createDatasetVersion(input: { datasetId: $d, label: "v1", format: "parquet" }) { id } }`,
        alice,
        { d: ds.id },
      )
    ).createDatasetVersion;
    await ok(`mutation($id: ID!) { updateDatasetVersionStatus(id: $id, status: READY, sizeBytes: 1024) { status } }`, alice, {
      id: dv.id,
    });
    const tpl = (
      await ok(`mutation($p: ID!) { createPromptTemplate(input: { projectId: $p, name: "summarise" }) { id } }`, alice, { p })
    ).createPromptTemplate;
    const pv = (
      await ok(
        `mutation($t: ID!) { createPromptVersion(input: { templateId: $t, template: "Summarise {{ text }}" }) { id } }`,
        alice,
        { t: tpl.id },
      )
    ).createPromptVersion;
    await ok(`mutation($t: ID!) { setPromptAlias(templateId: $t, alias: "production", version: 1) { alias } }`, alice, {
      t: tpl.id,
    });
    await ok(`mutation($t: ID!) { deletePromptAlias(templateId: $t, alias: "production") }`, alice, { t: tpl.id });
    await ok(`mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, alice, { id: key.apiKey.id });

    const rows = await outbox();
    expect(rows.map((r) => [r.action, r.entityType, r.entityId, r.projectId])).toEqual([
      ['user.create', 'User', user.id, null],
      ['apiKey.create', 'ApiKey', key.apiKey.id, null],
      ['project.create', 'Project', p, p],
      ['project.update', 'Project', p, p],
      ['projectMember.add', 'ProjectMember', `${p}/${ids.bob}`, p],
      ['projectMember.update', 'ProjectMember', `${p}/${ids.bob}`, p],
      ['projectMember.add', 'ProjectMember', `${p}/${user.id}`, p],
      ['projectMember.remove', 'ProjectMember', `${p}/${user.id}`, p],
      ['experiment.create', 'Experiment', exp.id, p],
      ['experiment.update', 'Experiment', exp.id, p],
      ['run.start', 'Run', run.id, p],
      ['run.finish', 'Run', run.id, p],
      ['model.register', 'Model', model.id, p],
      ['modelVersion.create', 'ModelVersion', mv.id, p],
      ['modelAlias.set', 'Model', model.id, p],
      ['modelAlias.delete', 'Model', model.id, p],
      ['dataset.create', 'Dataset', ds.id, p],
      ['datasetVersion.create', 'DatasetVersion', dv.id, p],
      ['datasetVersion.finish', 'DatasetVersion', dv.id, p],
      ['promptTemplate.create', 'PromptTemplate', tpl.id, p],
      ['promptVersion.create', 'PromptVersion', pv.id, p],
      ['promptAlias.set', 'PromptTemplate', tpl.id, p],
      ['promptAlias.delete', 'PromptTemplate', tpl.id, p],
      ['apiKey.revoke', 'ApiKey', key.apiKey.id, null],
    ]);
    // Who and which request: the signed caller and its request id (test-<n>, one per call).
    expect(rows.slice(0, 2).map((r) => [r.actorId, r.actorKind])).toEqual([
      [ids.admin, 'admin'],
      [ids.admin, 'admin'],
    ]);
    expect(rows.slice(2).every((r) => r.actorId === ids.alice && r.actorKind === 'user')).toBe(true);
    expect(new Set(rows.map((r) => r.requestId)).size).toBe(rows.length);
    expect(
      rows.every((r) => /^test-\d+$/.test(r.requestId) && /^[0-9a-f]{64}$/.test(r.changeDigest) && r.shippedAt === null),
    ).toBe(true);
    // The digest is of the change; the summary shows it, never a key's hash.
    const created = rows.find((r) => r.action === 'experiment.create');
    expect(created?.summary).toMatchObject({ projectId: p, name: 'baseline', ownerId: ids.alice });
    expect(created?.changeDigest).toBe(changeDigest(created?.summary));
    const keyRow = rows.find((r) => r.action === 'apiKey.create');
    expect(keyRow?.summary).toMatchObject({ name: 'laptop', userId: ids.alice, scopes: ['read'] });
    expect(JSON.stringify(keyRow?.summary)).not.toMatch(/hash/);
    expect(rows.find((r) => r.action === 'projectMember.update')?.summary).toEqual({
      userId: ids.bob,
      from: 'VIEWER',
      role: 'EDITOR',
    });
  });

  it('a saga mutation writes its event in the transaction that starts the saga; its steps write theirs as the caller', async () => {
    const p = (await ok(`mutation { createProject(input: { name: "sagas" }) { id } }`, alice)).createProject.id;
    const exp = (
      await ok(`mutation($p: ID!) { createExperiment(input: { projectId: $p, name: "doomed" }) { id } }`, alice, { p })
    ).createExperiment;
    const run = (await ok(`mutation($e: ID!) { startRun(input: { experimentId: $e, name: "r" }) { id } }`, alice, { e: exp.id }))
      .startRun;
    const model = (await ok(`mutation($p: ID!) { registerModel(input: { projectId: $p, name: "m" }) { id } }`, alice, { p }))
      .registerModel;
    const ds = (await ok(`mutation($p: ID!) { createDataset(input: { projectId: $p, name: "d" }) { id } }`, alice, { p }))
      .createDataset;
    const dv = (
      await ok(`mutation($d: ID!) { createDatasetVersion(input: { datasetId: $d, label: "v1", format: "csv" }) { id } }`, alice, {
        d: ds.id,
      })
    ).createDatasetVersion;
    const before = (await outbox()).length;
    // No orchestrator here: each saga is started and stays RUNNING at its first step.
    const fromRun = (
      await ok(
        `mutation($m: ID!, $r: ID!) { createModelVersionFromRun(input: { modelId: $m, runId: $r }) { id status step } }`,
        alice,
        {
          m: model.id,
          r: run.id,
        },
      )
    ).createModelVersionFromRun;
    const commit = (await ok(`mutation($id: ID!) { commitDatasetVersion(id: $id) { id status step } }`, alice, { id: dv.id }))
      .commitDatasetVersion;
    const deletion = (await ok(`mutation($id: ID!) { deleteExperiment(id: $id) { id status step } }`, alice, { id: exp.id }))
      .deleteExperiment;
    expect([fromRun.step, commit.step, deletion.step]).toEqual(['copyFiles', 'inspect', 'deleteMetrics']);
    const rows = (await outbox()).slice(before);
    expect(rows.map((r) => [r.action, r.entityType, r.entityId, r.projectId, r.actorId])).toEqual([
      ['modelVersion.fromRun', 'Model', model.id, p, ids.alice],
      ['datasetVersion.commit', 'DatasetVersion', dv.id, p, ids.alice],
      ['experiment.delete', 'Experiment', exp.id, p, ids.alice],
    ]);
    const sagas = await reg.prisma.saga.findMany({ where: { id: { in: [fromRun.id, commit.id, deletion.id] } } });
    expect(sagas.every((s) => s.actorId === ids.alice && s.status === 'RUNNING' && s.projectId === p)).toBe(true);
    // The deletion's last step, run as the caller, writes the purge event.
    const purged = await reg.store
      .forActor({ actorId: ids.alice, actorKind: 'user', requestId: 'saga' })
      .experiments.purgeExperiment(exp.id);
    expect(purged).toBe(true);
    expect((await outbox()).at(-1)).toMatchObject({
      action: 'experiment.purge',
      entityId: exp.id,
      projectId: p,
      actorId: ids.alice,
    });
  });

  it('a refused or failed mutation writes no event; a change that changes nothing writes none', async () => {
    const p = (await ok(`mutation { createProject(input: { name: "refusals" }) { id } }`, alice)).createProject.id as string;
    const exp = (await ok(`mutation($p: ID!) { createExperiment(input: { projectId: $p, name: "once" }) { id } }`, alice, { p }))
      .createExperiment;
    const run = (await ok(`mutation($e: ID!) { startRun(input: { experimentId: $e, name: "r" }) { id } }`, alice, { e: exp.id }))
      .startRun;
    await ok(`mutation($id: ID!) { finishRun(id: $id) { id } }`, alice, { id: run.id });
    const before = (await outbox()).length;
    // A unique violation inside the store's transaction (the insert fails in PostgreSQL).
    expect(
      await code(`mutation($p: ID!) { createExperiment(input: { projectId: $p, name: "once" }) { id } }`, alice, { p }),
    ).toBe('CONFLICT');
    // A conditional update that matches nothing (finished already).
    expect(await code(`mutation($id: ID!) { finishRun(id: $id) { id } }`, alice, { id: run.id })).toBe('CONFLICT');
    // Refused before the store: a stranger, a bad transition, an input dataset version that does not exist.
    expect(
      await code(
        `mutation($p: ID!) { createExperiment(input: { projectId: $p, name: "x" }) { id } }`,
        { ...alice, id: ids.bob },
        { p },
      ),
    ).toBe('NOT_FOUND');
    expect(
      await code(`mutation($id: ID!) { updateExperiment(id: $id, input: { status: COMPLETED }) { id } }`, alice, { id: exp.id }),
    ).toBe('CONFLICT');
    expect(
      await code(`mutation($e: ID!, $i: [ID!]) { startRun(input: { experimentId: $e, name: "r2", inputs: $i }) { id } }`, alice, {
        e: exp.id,
        i: ['00000000-0000-4000-8000-0000000000ff'],
      }),
    ).toBe('NOT_FOUND');
    expect(await reg.prisma.run.count({ where: { name: 'r2' } })).toBe(0);
    // Deleting an alias that is not there changes nothing: no event.
    const model = (await ok(`mutation($p: ID!) { registerModel(input: { projectId: $p, name: "m" }) { id } }`, alice, { p }))
      .registerModel;
    await ok(`mutation($m: ID!) { deleteModelAlias(modelId: $m, alias: "nope") }`, alice, { m: model.id });
    const after = await outbox();
    expect(after.slice(before).map((r) => r.action)).toEqual(['model.register']);
  });

  it('the change and its event commit together: when the event cannot be written, the change is rolled back', async () => {
    const p = (await ok(`mutation { createProject(input: { name: "atomic" }) { id } }`, alice)).createProject.id as string;
    await reg.prisma.$executeRawUnsafe(
      `ALTER TABLE audit_outbox ADD CONSTRAINT refuse_experiment_events CHECK (action <> 'experiment.create') NOT VALID`,
    );
    try {
      const result = await reg.run(
        `mutation($p: ID!) { createExperiment(input: { projectId: $p, name: "ghost" }) { id } }`,
        alice,
        { p },
      );
      expect(result.errors?.[0]?.extensions?.code).toBe('INTERNAL');
      expect(await reg.prisma.experiment.count({ where: { name: 'ghost' } })).toBe(0);
    } finally {
      await reg.prisma.$executeRawUnsafe('ALTER TABLE audit_outbox DROP CONSTRAINT refuse_experiment_events');
    }
    expect(await reg.prisma.auditOutbox.count({ where: { action: 'experiment.create', projectId: p } })).toBe(0);
  });

  it('the relay claim: a failed send leaves the events waiting, a good one marks them shipped, two claims never share a row', async () => {
    const pending = await reg.store.outbox.pending();
    expect(pending).toBeGreaterThan(20);
    await expect(
      reg.store.outbox.shipOldest(
        10,
        async () => {
          throw new Error('metrics down');
        },
        5_000,
      ),
    ).rejects.toThrow('metrics down');
    expect(await reg.store.outbox.pending()).toBe(pending);

    // Two claims at once: the first holds its 10 rows while the second takes the next 10.
    const seen: AuditEvent[][] = [];
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const first = reg.store.outbox.shipOldest(
      10,
      async (events) => {
        seen.push(events);
        await held;
        return undefined;
      },
      5_000,
    );
    while (seen.length === 0) await new Promise((r) => setTimeout(r, 10));
    const second = await reg.store.outbox.shipOldest(
      10,
      async (events) => {
        seen.push(events);
        return undefined;
      },
      5_000,
    );
    release();
    expect([(await first).shipped, second.shipped]).toEqual([10, 10]);
    const [a, b] = seen.map((batch) => batch.map((e) => e.id));
    expect(a?.filter((id) => b?.includes(id))).toEqual([]);
    expect(await reg.store.outbox.pending()).toBe(pending - 20);
    // The oldest first, in the wire format.
    expect(seen[0]?.[0]).toMatchObject({ action: 'user.create', actorKind: 'admin', projectId: '' });
    expect(typeof seen[0]?.[0]?.occurredAtMs).toBe('number');

    // Pruning takes only shipped events older than the cutoff.
    expect(await reg.store.outbox.prune(new Date(Date.now() - 60_000))).toBe(0);
    expect(await reg.store.outbox.prune(new Date(Date.now() + 60_000))).toBe(20);
    expect(await reg.store.outbox.pending()).toBe(pending - 20);

    // An event the receiver refuses is set aside: kept, skipped by later claims, never pruned.
    const oldest = await reg.store.outbox.shipOldest(
      3,
      async (events) => ({ rejected: new Map([[events[1]?.id ?? '', 'bad action']]) }),
      5_000,
    );
    expect(oldest).toEqual({ shipped: 0, quarantined: 1 });
    expect(await reg.store.outbox.backlog()).toMatchObject({ pending: pending - 21, quarantined: 1 });
    const aside = await reg.prisma.auditOutbox.findMany({ where: { quarantinedAt: { not: null } } });
    expect(aside.map((r) => r.quarantineReason)).toEqual(['bad action']);
    const next: AuditEvent[][] = [];
    await reg.store.outbox.shipOldest(
      3,
      async (events) => {
        next.push(events);
        return undefined;
      },
      5_000,
    );
    expect(next[0]?.map((e) => e.id)).not.toContain(aside[0]?.id);
    expect(await reg.store.outbox.prune(new Date(Date.now() + 60_000))).toBe(3);
    expect(await reg.prisma.auditOutbox.count({ where: { quarantinedAt: { not: null } } })).toBe(1);
  });
});
