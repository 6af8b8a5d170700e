import type { Logger } from '@lab/shared';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RegistryStore } from '../store/registryStore';
import { reconcile } from './reconciler';
import { emptyScan, type ReconciliationReport } from './report';
import { ReconcileRunner } from './schedule';

vi.mock('./reconciler', () => ({ reconcile: vi.fn() }));

const reconcileMock = vi.mocked(reconcile);

function fakeLog() {
  const log = { info: vi.fn(), warn: vi.fn(), child: () => log };
  return log;
}

function report(findings: ReconciliationReport['findings'] = []): ReconciliationReport {
  const at = new Date();
  return { startedAt: at, finishedAt: at, repair: true, graceMs: 0, findings, scanned: emptyScan() };
}

describe('the reconciler schedule', () => {
  let log: ReturnType<typeof fakeLog>;
  let runner: ReconcileRunner;

  beforeEach(() => {
    vi.useFakeTimers();
    reconcileMock.mockReset();
    log = fakeLog();
    const store = { forActor: () => store } as unknown as RegistryStore;
    runner = new ReconcileRunner({
      store,
      artifactsUrl: 'http://127.0.0.1:1',
      metricsUrl: 'http://127.0.0.1:2',
      internalSecret: 'x'.repeat(32),
      log: log as unknown as Logger,
      graceMs: 3_600_000,
    });
  });

  afterEach(async () => {
    vi.useRealTimers();
    await runner.stop(0);
  });

  it('runs every interval with the configured repair and grace, skipping a tick while a run is in progress', async () => {
    let finish: (r: ReconciliationReport) => void = () => {};
    reconcileMock.mockImplementation(() => new Promise((resolve) => (finish = resolve)));
    runner.start(1000, true);
    await vi.advanceTimersByTimeAsync(1000);
    expect(reconcileMock).toHaveBeenCalledTimes(1);
    expect(reconcileMock.mock.calls[0]?.[0]).toMatchObject({ repair: true, graceMs: 3_600_000 });
    await vi.advanceTimersByTimeAsync(1000);
    expect(reconcileMock).toHaveBeenCalledTimes(1);
    expect(log.info).toHaveBeenCalledWith('a reconciliation is still in progress: this scheduled one is skipped');
    finish(report([{ kind: 'STUCK_OPERATION', entityType: 'Operation', entityId: 's', detail: 'd', repaired: true }]));
    await vi.advanceTimersByTimeAsync(0);
    expect(log.warn).toHaveBeenCalledWith(
      expect.objectContaining({ found: { STUCK_OPERATION: { found: 1, repaired: 1 } }, remaining: 0 }),
      'reconciliation found 1 thing a fault left behind',
    );
    await vi.advanceTimersByTimeAsync(1000);
    expect(reconcileMock).toHaveBeenCalledTimes(2);
  });

  it('logs a failed run and keeps the schedule', async () => {
    reconcileMock.mockRejectedValueOnce(new Error('metrics unreachable')).mockResolvedValue(report());
    runner.start(1000, false);
    await vi.advanceTimersByTimeAsync(1000);
    expect(log.warn).toHaveBeenCalledWith(expect.objectContaining({ err: expect.any(Error) }), expect.stringContaining('failed'));
    await vi.advanceTimersByTimeAsync(1000);
    expect(reconcileMock).toHaveBeenCalledTimes(2);
    expect(log.info).toHaveBeenCalledWith(expect.objectContaining({ repair: true }), 'reconciliation found nothing');
  });

  it('does not run when the interval is 0, and stops on close', async () => {
    reconcileMock.mockResolvedValue(report());
    runner.start(0, true);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(reconcileMock).not.toHaveBeenCalled();
    runner.start(1000, true);
    await runner.stop(0);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(reconcileMock).not.toHaveBeenCalled();
  });
});
