/**
 * API usage shipping: one record per GraphQL operation, buffered here and sent
 * in batches to the metrics subgraph (POST /internal/api-usage, signed as the
 * gateway service), which stores them in ClickHouse's api_usage table.
 *
 * It never slows a request: `record` only pushes onto an array. A batch leaves
 * every `flushIntervalMs` (1 s), or at once when `maxBatch` (1,000) records
 * wait. One batch is in flight at a time; a failed send (network, timeout,
 * 408, 429, 5xx) is retried, same batch id, with exponential backoff and
 * jitter up to `maxRetryDelayMs` (30 s), for as long as it takes. Meanwhile
 * new records wait, at most `maxBuffered` (10,000) in all: past that they are
 * dropped and counted (reason buffer_full). A batch the subgraph refuses as
 * invalid (other 4xx) is dropped (rejected). `close` sends what it can within
 * a deadline; the rest is dropped (shutdown).
 */
import { randomUUID } from 'node:crypto';
import {
  API_USAGE_MAX_BATCH,
  API_USAGE_SIGNED_DOCUMENT,
  type ApiUsageBatch,
  type ApiUsageRecord,
  type Logger,
} from '@lab/shared';
import { createServiceClient, type ServiceClient } from '@lab/shared/internal';
import { GATEWAY_SERVICE_CALLER } from '../constants';
import type { GatewayMetrics } from './gatewayMetrics';

export interface ApiUsageOptions {
  /** The metrics subgraph's usage route, e.g. http://127.0.0.1:4002/internal/api-usage */
  url: string;
  internalSecret: string;
  log: Logger;
  metrics: GatewayMetrics;
  /** Records per batch (default 1,000, at most 10,000). */
  maxBatch?: number;
  /** Milliseconds between sends of a partial batch (default 1,000). */
  flushIntervalMs?: number;
  /** Most records held, in flight included; past it new ones are dropped (default 10,000). */
  maxBuffered?: number;
  /** First retry delay (default 500 ms); doubles per failure up to maxRetryDelayMs (default 30 s). */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
  /** Timeout of one send (default 10 s). */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

type SendResult = 'sent' | 'retry' | 'rejected';

export class ApiUsageRecorder {
  private readonly maxBatch: number;
  private readonly maxBuffered: number;
  private readonly retryDelayMs: number;
  private readonly maxRetryDelayMs: number;
  private readonly timeoutMs: number;
  private readonly client: ServiceClient;
  private buffer: ApiUsageRecord[] = [];
  /** The batch being sent or waiting for its retry. */
  private current: ApiUsageBatch | undefined;
  private sending: Promise<void> | undefined;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly interval: NodeJS.Timeout;
  private closed = false;
  /** Set when a send fails after close: no more attempts. */
  private gaveUp = false;

  constructor(private readonly options: ApiUsageOptions) {
    this.maxBatch = Math.min(options.maxBatch ?? 1000, API_USAGE_MAX_BATCH);
    this.maxBuffered = options.maxBuffered ?? 10_000;
    this.retryDelayMs = options.retryDelayMs ?? 500;
    this.maxRetryDelayMs = options.maxRetryDelayMs ?? 30_000;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.client = createServiceClient({
      internalSecret: options.internalSecret,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
    this.interval = setInterval(() => this.pump(), options.flushIntervalMs ?? 1000);
    this.interval.unref();
  }

  /** Records held: waiting, and in flight or waiting for a retry. */
  get buffered(): number {
    return this.buffer.length + (this.current?.records.length ?? 0);
  }

  /** Takes one record; O(1), never waits, never throws. */
  record(record: ApiUsageRecord): void {
    if (this.closed || this.buffered >= this.maxBuffered) {
      this.options.metrics.apiUsageDropped(1, this.closed ? 'shutdown' : 'buffer_full');
      return;
    }
    this.buffer.push(record);
    this.options.metrics.apiUsageBuffered(this.buffered);
    if (this.buffer.length >= this.maxBatch && !this.current) queueMicrotask(() => this.pump());
  }

  /** Sends the next batch unless one is in flight or waiting for its retry. */
  private pump(): void {
    if (this.sending || this.retryTimer) return;
    if (!this.current) {
      if (this.buffer.length === 0) return;
      this.current = { batchId: randomUUID(), records: this.buffer.splice(0, this.maxBatch) };
    }
    this.sending = this.sendCurrent().finally(() => {
      this.sending = undefined;
    });
  }

  private async sendCurrent(): Promise<void> {
    const batch = this.current;
    if (!batch) return;
    const result = await this.send(batch);
    const { metrics, log } = this.options;
    if (result === 'retry') {
      this.failures++;
      metrics.apiUsageRetried();
      if (this.closed) {
        this.gaveUp = true;
        return;
      }
      const delay = Math.min(this.maxRetryDelayMs, this.retryDelayMs * 2 ** (this.failures - 1));
      this.retryTimer = setTimeout(
        () => {
          this.retryTimer = undefined;
          this.pump();
        },
        delay / 2 + Math.random() * (delay / 2),
      );
      this.retryTimer.unref();
      return;
    }
    if (this.failures > 0) log.info({ failures: this.failures }, 'api usage reaches the metrics subgraph again');
    this.failures = 0;
    this.current = undefined;
    if (result === 'sent') metrics.apiUsageSent(batch.records.length);
    else metrics.apiUsageDropped(batch.records.length, 'rejected');
    metrics.apiUsageBuffered(this.buffered);
    if (this.buffer.length >= this.maxBatch && !this.closed) queueMicrotask(() => this.pump());
  }

  private async send(batch: ApiUsageBatch): Promise<SendResult> {
    const { log } = this.options;
    let status: number;
    let answer = '';
    try {
      const res = await this.client.post(this.options.url, batch, {
        caller: GATEWAY_SERVICE_CALLER,
        requestId: batch.batchId,
        document: API_USAGE_SIGNED_DOCUMENT,
        timeoutMs: this.timeoutMs,
      });
      status = res.status;
      answer = res.text;
    } catch (err) {
      // Once per outage: the retries are counted in /metrics.
      if (this.failures === 0)
        log.warn({ err, records: batch.records.length }, 'api usage: metrics subgraph unreachable; retrying');
      return 'retry';
    }
    if (status >= 200 && status < 300) return 'sent';
    if (status === 408 || status === 429 || status >= 500) {
      if (this.failures === 0)
        log.warn({ status, records: batch.records.length }, 'api usage: metrics subgraph failed; retrying');
      return 'retry';
    }
    log.error({ status, answer: answer.slice(0, 500), records: batch.records.length }, 'api usage batch refused; dropped');
    return 'rejected';
  }

  /** Sends batches until nothing is held or a send fails (the retry then waits for its timer). */
  private async drain(): Promise<void> {
    for (;;) {
      if (this.sending) {
        await this.sending;
        continue;
      }
      if (this.retryTimer || this.gaveUp || (!this.current && this.buffer.length === 0)) return;
      this.pump();
    }
  }

  /** Sends everything held now (tests, shutdown); resolves when empty, or when a send fails. */
  flush(): Promise<void> {
    return this.drain();
  }

  /**
   * Stops taking records and sends what it holds, within `deadlineMs` and
   * without retries (one attempt per batch); what is left is dropped and counted.
   */
  async close(deadlineMs = 3000): Promise<void> {
    this.closed = true;
    clearInterval(this.interval);
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, deadlineMs);
    });
    await Promise.race([this.drain(), deadline]);
    clearTimeout(timer);
    const left = this.buffered;
    if (left > 0) {
      this.options.metrics.apiUsageDropped(left, 'shutdown');
      this.options.log.warn({ records: left }, 'api usage records unsent at shutdown; dropped');
    }
    this.buffer = [];
    this.current = undefined;
    this.options.metrics.apiUsageBuffered(0);
  }
}
