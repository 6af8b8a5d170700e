/**
 * The scheduled reconciliation on several registry replicas, against a real
 * (embedded) PostgreSQL: two reconcilers on one database never run at once
 * (the other skips its tick), and a replica that dies holding the lock frees it.
 */
import type { Logger } from '@lab/shared';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { reconcile } from '../reconcile/reconciler';
import { emptyScan, type ReconciliationReport } from '../reconcile/report';
import { ReconcileRunner } from '../reconcile/schedule';
import type { RegistryStore } from '../store/registryStore';
import { RECONCILE_LOCK, whileHolding } from './advisoryLock';
import { startTempPostgres, type TempPostgres } from './tempPostgres';

vi.mock('../reconcile/reconciler', () => ({ reconcile: vi.fn() }));

let server: TempPostgres;

beforeAll(async () => {
  server = await startTempPostgres();
});

afterAll(async () => {
  await server?.stop();
});

function runner(name: string, skipped: string[]): ReconcileRunner {
  const log = {
    info: (msg: unknown) => {
      if (typeof msg === 'string' && msg.startsWith('another registry replica')) skipped.push(name);
    },
    warn: () => {},
    child: () => log,
  };
  const store = { forActor: () => store } as unknown as RegistryStore;
  return new ReconcileRunner({
    store,
    artifactsUrl: 'http://127.0.0.1:1',
    metricsUrl: 'http://127.0.0.1:2',
    internalSecret: 'x'.repeat(32),
    log: log as unknown as Logger,
    graceMs: 0,
    exclusive: (work) => whileHolding(server.url, RECONCILE_LOCK, work),
  });
}

describe('the scheduled reconciliation across registry replicas', () => {
  it('two reconcilers on one database: one runs at a time, the other skips its turn', async () => {
    let running = 0;
    let most = 0;
    let runs = 0;
    vi.mocked(reconcile).mockImplementation(async () => {
      running++;
      runs++;
      most = Math.max(most, running);
      await new Promise((r) => setTimeout(r, 250));
      running--;
      const at = new Date();
      return {
        startedAt: at,
        finishedAt: at,
        repair: false,
        graceMs: 0,
        findings: [],
        scanned: emptyScan(),
      } as ReconciliationReport;
    });
    const skipped: string[] = [];
    const replicas = [runner('a', skipped), runner('b', skipped)];
    for (const r of replicas) r.start(100, false);
    await vi.waitFor(() => expect(runs).toBeGreaterThanOrEqual(3), { timeout: 10_000, interval: 50 });
    await Promise.all(replicas.map((r) => r.stop()));
    expect(most).toBe(1);
    expect(skipped.length).toBeGreaterThan(0);
  });

  it('a session that dies holding the lock frees it', async () => {
    let release = () => {};
    const held = whileHolding(server.url, RECONCILE_LOCK, () => new Promise<void>((r) => (release = r)));
    // The holder's connection may take a while to open on a loaded machine.
    await vi.waitFor(async () => expect(await whileHolding(server.url, RECONCILE_LOCK, async () => 1)).toEqual({ ran: false }), {
      timeout: 20_000,
      interval: 100,
    });
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    await admin.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'lab-registry-lock' AND pid <> pg_backend_pid()",
    );
    await admin.end();
    // pg_terminate_backend only signals; the lock goes when that backend has exited.
    await vi.waitFor(
      async () => expect(await whileHolding(server.url, RECONCILE_LOCK, async () => 2)).toEqual({ ran: true, value: 2 }),
      { timeout: 20_000, interval: 100 },
    );
    release();
    await held.catch(() => undefined);
  });
});
