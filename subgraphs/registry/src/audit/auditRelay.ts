/**
 * The audit relay: ships the registry's outbox to ClickHouse's audit_log
 * through the metrics subgraph (POST /internal/audit, signed as the registry
 * service). Every `intervalMs` (500) it claims up to `batchSize` (1,000) of the
 * oldest unshipped events (row locks, SKIP LOCKED: two registry processes
 * never send the same rows at once), posts them, and marks them shipped in
 * the same transaction once the metrics subgraph answers 200. A full batch is
 * followed at once by the next.
 *
 * Nothing is lost: an event leaves the outbox only after ClickHouse took it.
 * Nothing is doubled: a batch's id is the sha256 of its event ids (the same
 * events give the same id, in any process), sent as ClickHouse's
 * insert_deduplication_token; the route also skips event ids audit_log holds
 * already, and audit_log collapses equal event ids when it merges.
 *
 * When the metrics subgraph or ClickHouse is down (network error, timeout,
 * any non-200), the events stay and the next try waits `retryDelayMs` (500),
 * doubling per failure up to `maxRetryDelayMs` (30 s), with jitter. When the
 * route refuses a batch because of events it names as invalid (400 with their
 * indexes), those events are quarantined in the outbox (kept, logged as
 * errors, shown in /health) and the others sent again at once, so one bad
 * event holds up no other; a 400 naming none is retried like a failure.
 * Audit events are never dropped.
 *
 * Shipped events stay in the outbox `retentionMs` (LAB_AUDIT_OUTBOX_RETENTION_DAYS,
 * 7 days; 0 keeps them), then are deleted, checked every `pruneIntervalMs` (1 h).
 */
import {
  AUDIT_MAX_BATCH,
  AUDIT_SENDER,
  AUDIT_SIGNED_DOCUMENT,
  type AuditBatch,
  type AuditEvent,
  auditBatchId,
  type Caller,
  type Logger,
} from '@lab/shared';
import { createServiceClient, type ServiceClient, ServiceUnreachableError } from '@lab/shared/internal';
import type { OutboxStore, SendVerdict } from '../store/outboxStore';

export const AUDIT_RELAY_CALLER: Caller = { id: AUDIT_SENDER, kind: 'service', scopes: ['*'] };

export interface AuditRelayOptions {
  store: OutboxStore;
  /** The metrics subgraph's audit route, e.g. http://127.0.0.1:4002/internal/audit */
  url: string;
  internalSecret: string;
  log: Logger;
  /** Milliseconds between polls when the outbox was empty (default 500). */
  intervalMs?: number;
  /** Events per batch (default and at most 1,000). */
  batchSize?: number;
  /** First retry delay (default 500 ms), doubling per failure up to maxRetryDelayMs (default 30 s). */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
  /** Timeout of one send (default 10 s). */
  timeoutMs?: number;
  /** How long shipped events stay in the outbox (default 7 days; 0 keeps them). */
  retentionMs?: number;
  /** How often shipped events past the retention are deleted (default 1 h). */
  pruneIntervalMs?: number;
  fetch?: typeof fetch;
}

class SendError extends Error {}

export class AuditRelay {
  private readonly intervalMs: number;
  private readonly batchSize: number;
  private readonly retryDelayMs: number;
  private readonly maxRetryDelayMs: number;
  private readonly timeoutMs: number;
  private readonly retentionMs: number;
  private readonly pruneIntervalMs: number;
  private readonly client: ServiceClient;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  private failures = 0;
  private lastPrune = 0;
  /** Events shipped since start (tests, logs). */
  shipped = 0;
  /** Events quarantined since start. */
  quarantined = 0;

  constructor(private readonly options: AuditRelayOptions) {
    this.intervalMs = options.intervalMs ?? 500;
    this.batchSize = Math.min(options.batchSize ?? AUDIT_MAX_BATCH, AUDIT_MAX_BATCH);
    this.retryDelayMs = options.retryDelayMs ?? 500;
    this.maxRetryDelayMs = options.maxRetryDelayMs ?? 30_000;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.retentionMs = options.retentionMs ?? 7 * 24 * 3600 * 1000;
    this.pruneIntervalMs = options.pruneIntervalMs ?? 3600 * 1000;
    this.client = createServiceClient({
      internalSecret: options.internalSecret,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  /**
   * Stops polling and waits for a batch in flight; then, for up to `flushWithinMs`, ships what is
   * waiting (a stop of the registry). What is left stays in the outbox for the next start.
   */
  async stop(flushWithinMs = 0): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    const until = Date.now() + flushWithinMs;
    let shipped = 0;
    while (Date.now() < until) {
      const n = await this.shipOnce().catch(() => 0);
      shipped += n;
      if (n < this.batchSize) break;
    }
    if (shipped > 0) this.options.log.info({ shipped }, 'audit events shipped at stop');
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.running = this.cycle().finally(() => {
        this.running = undefined;
      });
    }, delayMs);
    this.timer.unref();
  }

  /** One poll: ship batches until the outbox is empty or a send fails; then wait. */
  private async cycle(): Promise<void> {
    let delay = this.intervalMs;
    try {
      while (!this.stopped) {
        const n = await this.shipOnce();
        if (n < this.batchSize) break;
      }
      if (this.failures > 0) this.options.log.info({ after: this.failures }, 'audit events shipping again');
      this.failures = 0;
      await this.pruneIfDue();
    } catch (err) {
      this.failures++;
      const cap = Math.min(this.maxRetryDelayMs, this.retryDelayMs * 2 ** (this.failures - 1));
      delay = cap / 2 + Math.random() * (cap / 2);
      const level = err instanceof SendError && err.message.startsWith('HTTP 400') ? 'error' : 'warn';
      this.options.log[level](
        { err: err instanceof Error ? err.message : String(err), failures: this.failures, retryInMs: Math.round(delay) },
        'audit events not shipped; they wait in the outbox',
      );
    }
    this.schedule(delay);
  }

  /** Ships one batch of the oldest unshipped events; returns how many (0: none waiting). Throws when the send fails. */
  async shipOnce(): Promise<number> {
    for (;;) {
      const { shipped, quarantined } = await this.options.store.shipOldest(
        this.batchSize,
        (events) => this.send(events),
        this.timeoutMs + 10_000,
      );
      this.shipped += shipped;
      if (quarantined === 0) return shipped;
      this.quarantined += quarantined; // the rest of the batch goes again at once
    }
  }

  private async send(events: AuditEvent[]): Promise<SendVerdict | undefined> {
    const batch: AuditBatch = { batchId: auditBatchId(events.map((e) => e.id)), events };
    const requestId = `audit-${batch.batchId.slice(0, 16)}`;
    let res: { status: number; text: string };
    try {
      res = await this.client.post(this.options.url, batch, {
        caller: AUDIT_RELAY_CALLER,
        requestId,
        document: AUDIT_SIGNED_DOCUMENT,
        timeoutMs: this.timeoutMs,
      });
    } catch (err) {
      throw new SendError(err instanceof ServiceUnreachableError && err.timedOut ? 'timed out' : 'metrics subgraph unreachable');
    }
    const text = res.text;
    if (res.status === 400) {
      const rejected = this.rejectedEvents(events, text);
      if (rejected.size > 0) return { rejected };
    }
    if (res.status !== 200) throw new SendError(`HTTP ${res.status}: ${text.slice(0, 300)}`);
    return undefined;
  }

  /** The events a 400 names as invalid (by index), with why; logged, as they are set aside. */
  private rejectedEvents(events: AuditEvent[], body: string): Map<string, string> {
    const rejected = new Map<string, string>();
    let named: unknown;
    try {
      named = (JSON.parse(body) as { errors?: unknown }).errors;
    } catch {
      return rejected;
    }
    if (!Array.isArray(named)) return rejected;
    for (const item of named as { index?: unknown; reason?: unknown }[]) {
      const event = typeof item.index === 'number' ? events[item.index] : undefined;
      if (!event) continue;
      const reason = typeof item.reason === 'string' ? item.reason : 'refused as invalid';
      rejected.set(event.id, reason);
      this.options.log.error(
        { eventId: event.id, action: event.action, entityType: event.entityType, entityId: event.entityId, reason },
        'audit event refused as invalid: quarantined in the outbox (kept; clear quarantined_at to send it again)',
      );
    }
    return rejected;
  }

  private async pruneIfDue(): Promise<void> {
    if (this.retentionMs <= 0 || Date.now() - this.lastPrune < this.pruneIntervalMs) return;
    this.lastPrune = Date.now();
    const deleted = await this.options.store.prune(new Date(Date.now() - this.retentionMs));
    if (deleted > 0) this.options.log.info({ deleted }, 'shipped audit events past the retention deleted from the outbox');
  }
}
