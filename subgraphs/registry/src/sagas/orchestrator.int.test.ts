/**
 * The saga orchestrator over embedded PostgreSQL, with sagas of a test kind
 * whose steps count their runs: claims are exclusive, a dead holder's saga is
 * taken over once its lease expires (and the dead holder can no longer move
 * it), failures are retried, permanent ones compensated in order.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '@lab/shared';
import { InternalCallError } from '@lab/shared/internal';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../store/auditedStore';
import { startSaga } from '../store/sagasStore';
import { startTestRegistry, type TestRegistry } from '../testing/testRegistry';
import { SagaOrchestrator } from './orchestrator';
import { PermanentStepError, type SagaDefinition } from './saga';

const log = pino({ level: 'silent' }) as unknown as Logger;
let reg: TestRegistry;
const orchestrators: SagaOrchestrator[] = [];

beforeAll(async () => {
  reg = await startTestRegistry();
});
afterAll(async () => {
  await Promise.all(orchestrators.map((o) => o.stop(1000)));
  await reg?.stop();
});

/** Runs of each step, by saga id and step name. */
const runs = new Map<string, number>();
const count = (sagaId: string, step: string) => runs.get(`${sagaId}/${step}`) ?? 0;
const counted = (name: string, behave?: (sagaId: string, n: number) => void) =>
  ({
    name,
    async run({ saga }: { saga: { id: string } }) {
      const n = count(saga.id, name) + 1;
      runs.set(`${saga.id}/${name}`, n);
      behave?.(saga.id, n);
      return { [name]: n };
    },
  }) as SagaDefinition['steps'][number];

const behaviours = new Map<string, (sagaId: string, n: number) => void>();
const byBehaviour = (name: string) => counted(name, (sagaId, n) => behaviours.get(`${sagaId}/${name}`)?.(sagaId, n));

const TEST_SAGA: SagaDefinition = {
  kind: 'test.counted',
  steps: [byBehaviour('one'), byBehaviour('two'), byBehaviour('three')],
  compensation: [byBehaviour('undoTwo'), byBehaviour('undoOne')],
};
const FORWARD_ONLY: SagaDefinition = { kind: 'test.forward', steps: [byBehaviour('only')], compensation: [] };

function orchestrator(leaseMs = 2000): SagaOrchestrator {
  const o = new SagaOrchestrator({
    sagas: reg.store.sagas,
    store: reg.store,
    definitions: [TEST_SAGA, FORWARD_ONLY] as SagaDefinition<unknown, unknown>[],
    artifactsUrl: 'http://127.0.0.1:9',
    metricsUrl: 'http://127.0.0.1:9',
    internalSecret: 'test-secret-0123456789abcdef0123',
    log,
    leaseMs,
    waitMs: 5000,
    pollMs: 100,
    concurrency: 8,
  });
  orchestrators.push(o);
  return o;
}

async function newSaga(kind = TEST_SAGA.kind, step = 'one') {
  return reg.prisma.$transaction((tx) =>
    startSaga(tx, SYSTEM_ACTOR, { kind, step, input: {}, entityType: 'Test', entityId: randomUUID(), projectId: null }),
  );
}

async function settled(id: string, timeoutMs = 30_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const saga = await reg.store.sagas.byId(id);
    if (saga && (saga.status === 'SUCCEEDED' || saga.status === 'FAILED')) return saga;
    if (Date.now() > until) throw new Error(`saga ${id} still ${saga?.status} at ${saga?.step}: ${saga?.error}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('saga orchestrator', () => {
  it('two orchestrators polling the same table run every step of 40 sagas exactly once', async () => {
    const sagas = await Promise.all(Array.from({ length: 40 }, () => newSaga()));
    const a = orchestrator();
    const b = orchestrator();
    a.start();
    b.start();
    const done = await Promise.all(sagas.map((s) => settled(s.id)));
    await Promise.all([a.stop(1000), b.stop(1000)]);
    for (const saga of done) {
      expect(saga.status).toBe('SUCCEEDED');
      expect(saga.state).toEqual({ one: 1, two: 1, three: 1 });
      expect(saga.activeKey).toBeNull();
      expect(saga.finishedAt).not.toBeNull();
      for (const step of ['one', 'two', 'three']) expect(count(saga.id, step)).toBe(1);
    }
  });

  it("takes over a dead holder's saga when its lease expires, and the dead holder can no longer move it", async () => {
    const saga = await newSaga();
    const [claimed] = await reg.store.sagas.claim('dead-process', 500, 1, saga.id);
    expect(claimed?.leaseOwner).toBe('dead-process');
    const o = orchestrator();
    expect((await o.drive(saga.id))?.status).toBe('RUNNING'); // held: not run
    expect(count(saga.id, 'one')).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 600));
    o.start();
    const done = await settled(saga.id);
    await o.stop(1000);
    expect(done.status).toBe('SUCCEEDED');
    expect(await reg.store.sagas.advance(claimed as typeof done, 'dead-process', { step: 'two' })).toBeNull();
    expect((await reg.store.sagas.byId(saga.id))?.status).toBe('SUCCEEDED');
  });

  it('retries a step that fails for a reason that may pass, counting the attempts and keeping the public reason', async () => {
    const saga = await newSaga();
    behaviours.set(`${saga.id}/two`, (_id, n) => {
      if (n < 3) {
        throw new InternalCallError('/internal/files/copy at 127.0.0.1:9 unreachable', 'SERVICE_UNAVAILABLE', true, {
          service: 'artifacts',
        });
      }
    });
    const o = orchestrator();
    const first = await o.drive(saga.id);
    expect(first).toMatchObject({ status: 'RUNNING', step: 'two', attempts: 1 });
    // What clients read: the service in the platform's words, not its address or route (those are logged).
    expect(first?.error).toBe('two: the artifacts service is unavailable');
    expect(first?.nextAttemptAt.getTime()).toBeGreaterThan(Date.now());
    o.start();
    const done = await settled(saga.id);
    await o.stop(1000);
    expect(done.status).toBe('SUCCEEDED');
    expect(done.error).toBeNull();
    expect(count(saga.id, 'two')).toBe(3);
    expect(count(saga.id, 'one')).toBe(1);
  });

  it('compensates a step that fails for good: the compensation steps run in order, retried until done; the saga ends FAILED', async () => {
    const saga = await newSaga();
    behaviours.set(`${saga.id}/three`, () => {
      throw new PermanentStepError('verification failed');
    });
    behaviours.set(`${saga.id}/undoTwo`, (_id, n) => {
      if (n === 1) throw new Error('S3 timed out');
    });
    const o = orchestrator();
    await o.drive(saga.id);
    o.start();
    const done = await settled(saga.id);
    await o.stop(1000);
    expect(done.status).toBe('FAILED');
    expect(done.error).toBe('three: verification failed');
    expect(done.state).toMatchObject({ failure: 'three: verification failed', undoTwo: 2, undoOne: 1 });
    expect([count(saga.id, 'three'), count(saga.id, 'undoTwo'), count(saga.id, 'undoOne')]).toEqual([1, 2, 1]);
  });

  it('retries every failure of a saga that only goes forward', async () => {
    const saga = await newSaga(FORWARD_ONLY.kind, 'only');
    behaviours.set(`${saga.id}/only`, (_id, n) => {
      if (n === 1) throw new PermanentStepError('refused once');
    });
    const o = orchestrator();
    expect(await o.drive(saga.id)).toMatchObject({ status: 'RUNNING', attempts: 1 });
    o.start();
    expect((await settled(saga.id)).status).toBe('SUCCEEDED');
    await o.stop(1000);
  });

  it('one active saga per key: a second start with the same key is refused by the unique index', async () => {
    const entityId = randomUUID();
    const start = () =>
      reg.prisma.$transaction((tx) =>
        startSaga(tx, SYSTEM_ACTOR, {
          kind: TEST_SAGA.kind,
          step: 'one',
          input: {},
          activeKey: `test.counted:${entityId}`,
          entityType: 'Test',
          entityId,
          projectId: null,
        }),
      );
    await start();
    await expect(start()).rejects.toThrow();
  });
});
