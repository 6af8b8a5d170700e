/**
 * The reconciler inside the registry service: runs on demand
 * (Mutation.reconcile) and every LAB_RECONCILE_INTERVAL_MINUTES, repairing
 * when LAB_RECONCILE_REPAIR is set. A scheduled run is skipped while another
 * run is in progress, here or (with `exclusive`, a PostgreSQL advisory lock)
 * on another registry replica; a failed run is logged, never thrown.
 */
import type { Logger } from '@lab/shared';
import { createStoreServices } from '../sagas/storeServices';
import { SYSTEM_ACTOR } from '../store/auditedStore';
import type { RegistryStore } from '../store/registryStore';
import { reconcile } from './reconciler';
import { countsByKind, type ReconciliationReport, remaining } from './report';

export interface ReconcileRunnerOptions {
  store: RegistryStore;
  artifactsUrl: string;
  metricsUrl: string;
  internalSecret: string;
  log: Logger;
  /** The default grace period (LAB_RECONCILE_GRACE_HOURS). */
  graceMs: number;
  stuckAfterMs?: number;
  /**
   * Runs a scheduled reconciliation only where no other replica runs one
   * (db/advisoryLock.ts); `{ ran: false }` skips it. Default: always runs.
   */
  exclusive?: <T>(work: () => Promise<T>) => Promise<{ ran: true; value: T } | { ran: false }>;
}

export interface RunRequest {
  repair: boolean;
  /** Overrides the default grace period. */
  graceMs?: number;
  /** The request that asked (its audit events and internal calls carry it). */
  requestId?: string;
}

export class ReconcileRunner {
  private readonly inFlight = new Set<Promise<unknown>>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: ReconcileRunnerOptions) {}

  /** One reconciliation now; throws when a store cannot be read. */
  run(request: RunRequest): Promise<ReconciliationReport> {
    const requestId = request.requestId || `reconcile-${Date.now().toString(36)}`;
    const { store, artifactsUrl, metricsUrl, internalSecret, log } = this.options;
    const work = reconcile({
      store: store.forActor({ ...SYSTEM_ACTOR, requestId }),
      services: createStoreServices({ artifactsUrl, metricsUrl, internalSecret, requestId }),
      graceMs: request.graceMs ?? this.options.graceMs,
      ...(this.options.stuckAfterMs !== undefined ? { stuckAfterMs: this.options.stuckAfterMs } : {}),
      repair: request.repair,
      log: log.child({ requestId }),
    });
    this.inFlight.add(work);
    return work.finally(() => this.inFlight.delete(work));
  }

  /** Runs every `intervalMs` (none when 0). */
  start(intervalMs: number, repair: boolean): void {
    if (intervalMs <= 0) return;
    this.timer = setInterval(() => {
      if (this.inFlight.size > 0) {
        this.options.log.info('a reconciliation is still in progress: this scheduled one is skipped');
        return;
      }
      // The whole tick counts as in flight, taking the lock included, so stop() waits for it.
      const tick = this.scheduled(repair);
      this.inFlight.add(tick);
      void tick.finally(() => this.inFlight.delete(tick));
    }, intervalMs);
    this.timer.unref();
  }

  /** Stops the schedule; waits up to `graceMs` for runs in progress. */
  async stop(graceMs = 5000): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    const running = Promise.allSettled([...this.inFlight]);
    await Promise.race([running, new Promise((resolve) => setTimeout(resolve, graceMs).unref())]);
  }

  private async scheduled(repair: boolean): Promise<void> {
    const { log } = this.options;
    try {
      const exclusive = this.options.exclusive ?? (async (work) => ({ ran: true as const, value: await work() }));
      // A tick stopped while it waited for the lock does no work.
      const outcome = await exclusive(async () => (this.timer ? this.run({ repair }) : undefined));
      if (outcome.ran && outcome.value) logSummary(log, outcome.value);
      else log.info('another registry replica is reconciling: this scheduled run is skipped');
    } catch (err) {
      log.warn({ err }, 'scheduled reconciliation failed; the next one tries again');
    }
  }
}

/** One line per run: info when nothing was found, warn with the counts per kind otherwise. */
export function logSummary(log: Logger, report: ReconciliationReport): void {
  const ms = report.finishedAt.getTime() - report.startedAt.getTime();
  const summary = { repair: report.repair, scanned: report.scanned, ms };
  if (report.findings.length === 0) {
    log.info(summary, 'reconciliation found nothing');
    return;
  }
  log.warn(
    { ...summary, found: countsByKind(report.findings), remaining: remaining(report) },
    `reconciliation found ${report.findings.length} ${report.findings.length === 1 ? 'thing' : 'things'} a fault left behind`,
  );
}
