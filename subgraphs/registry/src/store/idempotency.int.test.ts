/**
 * Idempotent mutations on embedded PostgreSQL: the same key with the same
 * input answers the first result without a second write or audit event; other
 * input is a CONFLICT; a failed write keeps no key, so its retry runs; a
 * concurrent duplicate waits and replays, or, when the first attempt holds the
 * key too long, answers a retryable CONFLICT; an expired key runs again.
 */
import type { Caller } from '@lab/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Prisma } from '../generated/prisma/client';
import { startTestRegistry, type TestRegistry } from '../testing/testRegistry';
import { decodeResult, encodeResult, IDEMPOTENCY_LOCK_WAIT_MS } from './idempotency';

let reg: TestRegistry;
const ids = {
  alice: '00000000-0000-4000-8000-00000000a11c',
  bob: '00000000-0000-4000-8000-000000000b0b',
};
const alice: Caller = { id: ids.alice, kind: 'user', scopes: ['*'] };
const bob: Caller = { id: ids.bob, kind: 'user', scopes: ['*'] };
let projectId = '';

const CREATE = `mutation($input: CreateExperimentInput!) { createExperiment(input: $input) { id name createdAt } }`;

interface Answer {
  // biome-ignore lint/suspicious/noExplicitAny: answers are checked field by field
  data?: any;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

function create(name: string, key?: string, caller: Caller = alice): Promise<Answer> {
  return reg.run(CREATE, caller, { input: { projectId, name } }, key === undefined ? undefined : { idempotencyKey: key });
}

const experimentsNamed = (name: string) => reg.prisma.experiment.count({ where: { projectId, name } });
const events = (action: string, entityId: string) => reg.prisma.auditOutbox.count({ where: { action, entityId } });
const keyRow = (key: string, callerId = ids.alice) =>
  reg.prisma.idempotencyKey.findUnique({ where: { callerId_key: { callerId, key } } });

/**
 * Takes row locks in a transaction of its own, as a slow first attempt would,
 * and holds them until the returned release is called (then rolls back).
 */
async function holdLocks(take: (tx: Prisma.TransactionClient) => Promise<unknown>): Promise<() => Promise<void>> {
  const rollback = new Error('rollback');
  let release = () => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let taken = () => {};
  const locked = new Promise<void>((resolve) => {
    taken = resolve;
  });
  const holder = reg.prisma
    .$transaction(
      async (tx) => {
        await take(tx);
        taken();
        await released;
        throw rollback;
      },
      { timeout: 30_000 },
    )
    .catch((err: unknown) => {
      if (err !== rollback) throw err;
    });
  await Promise.race([locked, holder]);
  return async () => {
    release();
    await holder;
  };
}

/** A duplicate of an attempt still holding its key: answered after the claim's lock wait, well before a transaction times out. */
async function expectInProgress(name: string, key: string): Promise<void> {
  const started = Date.now();
  const answer = await create(name, key);
  const waitedMs = Date.now() - started;
  expect(answer.errors?.[0]?.extensions).toMatchObject({
    code: 'CONFLICT',
    reason: 'IDEMPOTENCY_KEY_IN_PROGRESS',
    idempotencyKey: key,
  });
  expect(answer.errors?.[0]?.message).toContain(`"${key}"`);
  expect(waitedMs).toBeGreaterThanOrEqual(IDEMPOTENCY_LOCK_WAIT_MS - 50);
  expect(waitedMs).toBeLessThan(5_000); // Prisma's default transaction timeout
}

beforeAll(async () => {
  reg = await startTestRegistry();
  for (const [id, name] of [
    [ids.alice, 'alice'],
    [ids.bob, 'bob'],
  ] as const) {
    await reg.prisma.user.create({ data: { id, email: `${name}@lab.test`, name } });
  }
  const project: Answer = await reg.run(`mutation { createProject(input: { name: "idempotent" }) { id } }`, alice);
  projectId = project.data.createProject.id as string;
  await reg.run(`mutation($p: ID!, $u: ID!) { addProjectMember(projectId: $p, userId: $u, role: EDITOR) { role } }`, alice, {
    p: projectId,
    u: ids.bob,
  });
});
afterAll(async () => {
  await reg?.stop();
});

describe('idempotent mutations', () => {
  it('the same key with the same input answers the first result: one row, one audit event', async () => {
    const first = await create('once', 'k-once');
    expect(first.errors).toBeUndefined();
    const again = await create('once', 'k-once');
    expect(again.errors).toBeUndefined();
    expect(again.data).toEqual(first.data);
    expect(await experimentsNamed('once')).toBe(1);
    expect(await events('experiment.create', first.data.createExperiment.id)).toBe(1);
    expect(Object.keys((await keyRow('k-once'))?.results as object)).toEqual(['createExperiment#1']);
  });

  it('the same key with other input is a CONFLICT naming the key, and writes nothing', async () => {
    expect((await create('first input', 'k-other')).errors).toBeUndefined();
    const other = await create('second input', 'k-other');
    expect(other.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    expect(other.errors?.[0]?.message).toContain('"k-other"');
    expect(other.errors?.[0]?.extensions?.reason).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(await experimentsNamed('second input')).toBe(0);
  });

  it('without a key nothing is deduplicated: the second call runs (and meets the duplicate name)', async () => {
    expect((await create('keyless')).errors).toBeUndefined();
    const again = await create('keyless');
    expect(again.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    expect(again.errors?.[0]?.message).not.toContain('Idempotency key');
    expect(await experimentsNamed('keyless')).toBe(1);
  });

  it('keys are per caller: another caller with the same key does its own work', async () => {
    const a = await create('alice made', 'k-shared');
    const b = await create('bob made', 'k-shared', bob);
    expect(a.errors).toBeUndefined();
    expect(b.errors).toBeUndefined();
    expect(b.data.createExperiment.id).not.toBe(a.data.createExperiment.id);
  });

  it('a failed write keeps no key, so its retry runs', async () => {
    expect((await create('taken')).errors).toBeUndefined();
    const failed = await create('taken', 'k-retry');
    expect(failed.errors?.[0]?.extensions?.code).toBe('CONFLICT'); // the duplicate name, inside the transaction
    expect(await keyRow('k-retry')).toBeNull();
    await reg.prisma.experiment.updateMany({ where: { projectId, name: 'taken' }, data: { name: 'taken before' } });
    const retried = await create('taken', 'k-retry');
    expect(retried.errors).toBeUndefined();
    expect(await experimentsNamed('taken')).toBe(1);
    expect(await keyRow('k-retry')).not.toBeNull();
  });

  it('concurrent duplicates write once: the others wait for the first and answer its result', async () => {
    const answers = await Promise.all(Array.from({ length: 6 }, () => create('concurrent', 'k-concurrent')));
    for (const a of answers) expect(a.errors, JSON.stringify(a.errors)).toBeUndefined();
    const created = new Set(answers.map((a) => a.data.createExperiment.id as string));
    expect(created.size).toBe(1);
    expect(await experimentsNamed('concurrent')).toBe(1);
    expect(await events('experiment.create', [...created][0] as string)).toBe(1);
  });

  it('a duplicate that waits too long for the first attempt answers a retryable CONFLICT, not a timeout; its retry replays', async () => {
    const first = await create('slow first', 'k-slow');
    expect(first.errors).toBeUndefined();
    const release = await holdLocks(
      (tx) => tx.$executeRaw`SELECT 1 FROM idempotency_keys WHERE caller_id = ${ids.alice} AND key = 'k-slow' FOR UPDATE`,
    );
    try {
      await expectInProgress('slow first', 'k-slow');
    } finally {
      await release();
    }
    const retried = await create('slow first', 'k-slow');
    expect(retried.errors).toBeUndefined();
    expect(retried.data).toEqual(first.data);
    expect(await experimentsNamed('slow first')).toBe(1);
  });

  it('the same while the first attempt is still inserting the key; once that one rolled back, the retry runs', async () => {
    const release = await holdLocks(
      (tx) => tx.$executeRaw`INSERT INTO idempotency_keys (caller_id, key, digest, expires_at)
        VALUES (${ids.alice}, 'k-inserting', 'digest of the first attempt', now() + interval '1 hour')`,
    );
    try {
      await expectInProgress('inserting', 'k-inserting');
    } finally {
      await release();
    }
    expect(await keyRow('k-inserting')).toBeNull();
    expect(await experimentsNamed('inserting')).toBe(0);
    const retried = await create('inserting', 'k-inserting');
    expect(retried.errors).toBeUndefined();
    expect(await experimentsNamed('inserting')).toBe(1);
  });

  it("the lock wait is the claim's only: the write after it waits on its rows as long as its transaction allows", async () => {
    const experiment = (await create('locked row')).data.createExperiment.id as string;
    const release = await holdLocks((tx) => tx.$executeRaw`SELECT 1 FROM experiments WHERE id = ${experiment}::uuid FOR UPDATE`);
    const update = reg.run(
      `mutation($id: ID!) { updateExperiment(id: $id, input: { description: "after the lock" }) { id description } }`,
      alice,
      { id: experiment },
      { idempotencyKey: 'k-row-wait' },
    );
    await new Promise((resolve) => setTimeout(resolve, IDEMPOTENCY_LOCK_WAIT_MS + 500));
    await release();
    const answer: Answer = await update;
    expect(answer.errors, JSON.stringify(answer.errors)).toBeUndefined();
    expect(answer.data.updateExperiment.description).toBe('after the lock');
  });

  it('each root field of one operation is kept and replayed on its own', async () => {
    const TWO = `mutation($p: ID!) {
      a: createExperiment(input: { projectId: $p, name: "two-a" }) { id }
      b: createExperiment(input: { projectId: $p, name: "two-b" }) { id }
    }`;
    const first: Answer = await reg.run(TWO, alice, { p: projectId }, { idempotencyKey: 'k-two' });
    expect(first.errors).toBeUndefined();
    const again = await reg.run(TWO, alice, { p: projectId }, { idempotencyKey: 'k-two' });
    expect(again.data).toEqual(first.data);
    expect(first.data.a.id).not.toBe(first.data.b.id);
    expect(await experimentsNamed('two-a')).toBe(1);
    expect(await experimentsNamed('two-b')).toBe(1);
  });

  it('an expired key runs again', async () => {
    const first = await create('expiring', 'k-expired');
    await reg.prisma.idempotencyKey.update({
      where: { callerId_key: { callerId: ids.alice, key: 'k-expired' } },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    await reg.prisma.experiment.updateMany({ where: { projectId, name: 'expiring' }, data: { name: 'expired before' } });
    const second = await create('expiring', 'k-expired');
    expect(second.errors).toBeUndefined();
    expect(second.data.createExperiment.id).not.toBe(first.data.createExperiment.id);
    expect(await reg.store.pruneIdempotencyKeys()).toBe(0); // taken over, live again
  });

  it('refuses a key on createApiKey, whose secret is shown once', async () => {
    const answer = await reg.run(
      `mutation($u: ID!) { createApiKey(input: { name: "once", userId: $u, scopes: ["read"] }) { secret } }`,
      alice,
      { u: ids.alice },
      { idempotencyKey: 'k-api-key' },
    );
    expect(answer.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(await reg.prisma.apiKey.count({ where: { name: 'once' } })).toBe(0);
  });
});

describe('stored results', () => {
  it('give back dates, big integers, nulls and undefined', () => {
    const value = {
      at: new Date('2026-01-02T03:04:05.678Z'),
      size: 12345678901234567890n,
      none: null,
      nested: [{ d: new Date(0) }],
    };
    expect(decodeResult(JSON.parse(JSON.stringify(encodeResult(value))))).toEqual(value);
    expect(decodeResult(encodeResult(undefined))).toBeUndefined();
    expect(decodeResult(encodeResult('LAST_OWNER'))).toBe('LAST_OWNER');
    expect(decodeResult(encodeResult({ id: 'k', hash: 'secret digest' }))).toEqual({ id: 'k' });
  });
});
