/**
 * The saga orchestrator: runs the registry's cross-store operations step by
 * step from their state in PostgreSQL (store/sagasStore.ts).
 *
 * - A mutation starts a saga in the transaction of its first change, then
 *   `drive`s it at once and answers when it finished or after LAB_SAGA_WAIT_SECONDS.
 * - Every `pollMs` (1 s) the orchestrator claims due sagas nobody holds: new
 *   ones whose starter gave up waiting, ones waiting for a retry, and ones
 *   whose holder died (its lease, LAB_SAGA_LEASE_SECONDS, expired; renewed
 *   while a step runs). A restarted process thus resumes where the dead one
 *   stopped, running the interrupted step again: steps are idempotent.
 * - A step that fails for a reason that may pass (a service or store down, a
 *   timeout) is retried after a backoff (1 s doubling to 60 s, with jitter);
 *   one that fails for good switches the saga to its compensation steps,
 *   which are retried until they succeed. The saga ends SUCCEEDED or FAILED
 *   (compensated: nothing of it left).
 * - Faults can be injected for the fault tests (LAB_SAGA_FAULTS): a step that
 *   fails for good, or the process killed (SIGKILL) right before or after a
 *   step's work, once per saga and step (a marker file remembers it).
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from '@lab/shared';
import type { RegistryStore } from '../store/registryStore';
import type { Saga, SagasStore } from '../store/sagasStore';
import { errorMessage, isPermanent, PermanentStepError, publicStepError, type SagaDefinition, type SagaStep } from './saga';
import { createStoreServices } from './storeServices';

export interface OrchestratorOptions {
  sagas: SagasStore;
  store: RegistryStore;
  definitions: SagaDefinition<unknown, unknown>[];
  artifactsUrl: string;
  metricsUrl: string;
  internalSecret: string;
  log: Logger;
  /** How long a claim holds (default 30 s). */
  leaseMs?: number;
  /** How long `drive` waits for a saga to end (default 10 s). */
  waitMs?: number;
  pollMs?: number;
  /** `<kind>/<step>/<fail|crash-before|crash-after>` */
  faults?: string[];
  /** Where a fired crash is remembered, so that it fires once per saga and step, not again after the restart. */
  faultMarkerDir?: string;
  /** Sagas run at once by the poller (default 4). */
  concurrency?: number;
}

const ACTIVE = new Set(['RUNNING', 'COMPENSATING']);
const MAX_RETRY_DELAY_MS = 60_000;

export function retryDelayMs(attempts: number): number {
  const base = Math.min(MAX_RETRY_DELAY_MS, 1000 * 2 ** Math.min(attempts, 16));
  return Math.round(base * (0.75 + Math.random() * 0.5));
}

export class SagaOrchestrator {
  /** This process's lease owner id. */
  readonly owner = `registry-${process.pid}-${randomUUID().slice(0, 8)}`;
  private readonly definitions: Map<string, SagaDefinition<unknown, unknown>>;
  private readonly leaseMs: number;
  private readonly waitMs: number;
  private readonly pollMs: number;
  private readonly concurrency: number;
  private readonly faults: Set<string>;
  private readonly inFlight = new Map<string, Promise<Saga | null>>();
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  private stopped = false;

  constructor(private readonly options: OrchestratorOptions) {
    this.definitions = new Map(options.definitions.map((d) => [d.kind, d]));
    this.leaseMs = options.leaseMs ?? 30_000;
    this.waitMs = options.waitMs ?? 10_000;
    this.pollMs = options.pollMs ?? 1000;
    this.concurrency = options.concurrency ?? 4;
    this.faults = new Set(options.faults ?? []);
    if (this.faults.size > 0) options.log.warn({ faults: [...this.faults] }, 'saga fault injection is on');
  }

  start(): void {
    this.stopped = false;
    this.timer = setInterval(() => void this.poll(), this.pollMs);
    this.timer.unref();
    void this.poll();
  }

  /** Stops claiming; waits up to `graceMs` for running steps, then lets their leases expire. */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    const running = Promise.allSettled([...this.inFlight.values()]);
    await Promise.race([running, new Promise((resolve) => setTimeout(resolve, graceMs).unref())]);
  }

  /**
   * Runs the saga now if nobody holds it, and answers its row once it ended
   * or `waitMs` passed (it then goes on in the background).
   */
  async drive(id: string): Promise<Saga | null> {
    const run = this.inFlight.get(id) ?? this.claimAndRun(id);
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), this.waitMs);
      timer.unref();
    });
    const ended = await Promise.race([run, waited]);
    clearTimeout(timer);
    return ended ?? this.options.sagas.byId(id);
  }

  private async claimAndRun(id: string): Promise<Saga | null> {
    const [saga] = await this.options.sagas.claim(this.owner, this.leaseMs, 1, id).catch((err: unknown) => {
      this.options.log.warn({ err, sagaId: id }, 'claiming a saga failed; the poller retries');
      return [];
    });
    return saga ? this.track(saga) : null;
  }

  /** One poll: claims due sagas up to the free concurrency and runs them. */
  async poll(): Promise<void> {
    if (this.polling || this.stopped) return;
    this.polling = true;
    try {
      const free = this.concurrency - this.inFlight.size;
      if (free <= 0) return;
      const claimed = await this.options.sagas.claim(this.owner, this.leaseMs, free);
      for (const saga of claimed) void this.track(saga);
    } catch (err) {
      this.options.log.warn({ err }, 'claiming due sagas failed; next poll retries');
    } finally {
      this.polling = false;
    }
  }

  /** Runs a claimed saga; resolves to its row as it stands when the run stops (null when unknown). */
  private track(saga: Saga): Promise<Saga | null> {
    const run = this.runSaga(saga)
      .catch((err: unknown) => {
        // PostgreSQL failed while recording progress: the lease expires and the step runs again.
        this.options.log.warn({ err, sagaId: saga.id, kind: saga.kind }, 'saga interrupted; it resumes when its lease expires');
        return null;
      })
      .finally(() => this.inFlight.delete(saga.id));
    this.inFlight.set(saga.id, run);
    return run;
  }

  /** Runs steps until the saga ends, waits to retry, or its lease is lost; the row as it then stands (null: unknown). */
  private async runSaga(claimed: Saga): Promise<Saga | null> {
    const { sagas, log } = this.options;
    const definition = this.definitions.get(claimed.kind);
    if (!definition) {
      await sagas.retryLater(claimed, this.owner, `no definition for saga kind ${claimed.kind}`, MAX_RETRY_DELAY_MS);
      return null;
    }
    const heartbeat = setInterval(() => {
      sagas.renew(claimed.id, this.owner, this.leaseMs).catch(() => {});
    }, this.leaseMs / 3);
    heartbeat.unref();
    let saga: Saga | null = claimed;
    try {
      while (saga && ACTIVE.has(saga.status) && !this.stopped) {
        const forward = saga.status === 'RUNNING';
        const steps = forward ? definition.steps : definition.compensation;
        const index = steps.findIndex((s) => s.name === saga?.step);
        const step = steps[index];
        if (!step) {
          await sagas.retryLater(saga, this.owner, `saga ${saga.kind} has no step ${saga.step}`, MAX_RETRY_DELAY_MS);
          return null;
        }
        let added: Record<string, unknown> | undefined;
        try {
          added = (await this.runStep(saga, step)) ?? undefined;
        } catch (err) {
          // The log gets the whole reason (routes, addresses); the saga's row, which clients read, its public text.
          const reason = errorMessage(err);
          const message = publicStepError(err);
          const first = definition.compensation[0];
          if (forward && first && isPermanent(err)) {
            log.warn({ sagaId: saga.id, kind: saga.kind, step: step.name, reason }, 'saga step failed for good; compensating');
            saga = await sagas.advance(saga, this.owner, {
              step: first.name,
              status: 'COMPENSATING',
              error: message,
              state: { failure: `${step.name}: ${message}` },
            });
            continue;
          }
          const delay = retryDelayMs(saga.attempts);
          log.warn(
            { sagaId: saga.id, kind: saga.kind, step: step.name, attempt: saga.attempts + 1, retryInMs: delay, reason },
            'saga step failed; retrying later',
          );
          await sagas.retryLater(saga, this.owner, `${step.name}: ${message}`, delay);
          return null;
        }
        const next = steps[index + 1];
        // Once ended, the error is why it failed (the step that failed for good), or none.
        const failure = (saga.state as { failure?: string }).failure ?? null;
        saga = await sagas.advance(
          saga,
          this.owner,
          next
            ? { step: next.name, state: added ?? {} }
            : { step: step.name, state: added ?? {}, status: forward ? 'SUCCEEDED' : 'FAILED', error: forward ? null : failure },
        );
        if (saga && !ACTIVE.has(saga.status)) log.info({ sagaId: saga.id, kind: saga.kind, status: saga.status }, 'saga ended');
      }
      if (saga && ACTIVE.has(saga.status)) await sagas.release(saga.id, this.owner);
      return saga;
    } finally {
      clearInterval(heartbeat);
    }
  }

  private async runStep(saga: Saga, step: SagaStep<unknown, unknown>): Promise<Record<string, unknown> | undefined> {
    const fault = (mode: string) => this.faults.has(`${saga.kind}/${step.name}/${mode}`);
    if (fault('crash-before')) this.crashOnce(saga, step, 'before');
    if (fault('fail')) throw new PermanentStepError(`injected failure of step ${step.name}`);
    const actor = { actorId: saga.actorId, actorKind: saga.actorKind, requestId: saga.requestId };
    const added = await step.run({
      saga,
      input: saga.input,
      state: saga.state as Record<string, unknown>,
      store: this.options.store.forActor(actor),
      services: createStoreServices({
        artifactsUrl: this.options.artifactsUrl,
        metricsUrl: this.options.metricsUrl,
        internalSecret: this.options.internalSecret,
        requestId: saga.requestId || `saga-${saga.id}`,
      }),
      log: this.options.log.child({ sagaId: saga.id, step: step.name }),
    });
    if (fault('crash-after')) this.crashOnce(saga, step, 'after');
    return added as Record<string, unknown> | undefined;
  }

  private crashOnce(saga: Saga, step: SagaStep<unknown, unknown>, when: string): void {
    const marker = path.join(this.options.faultMarkerDir ?? os.tmpdir(), `${saga.id}-${step.name}-${when}`);
    if (existsSync(marker)) return;
    mkdirSync(path.dirname(marker), { recursive: true });
    writeFileSync(marker, '');
    this.options.log.error({ sagaId: saga.id, kind: saga.kind, step: step.name }, `injected crash ${when} the step`);
    process.kill(process.pid, 'SIGKILL');
  }
}
