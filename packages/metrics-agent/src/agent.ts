import { AgentClosedError, BackpressureError, MetricsAgentError, MetricsBatchError } from './errors';
import { type ExitParticipant, registerExitParticipant, unregisterExitParticipant } from './exitHooks';
import { sendBatch } from './transport';

export const METRIC_NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_./-]{0,199}$/;

export interface MetricsAgentOptions {
  /** The platform's one address, e.g. http://localhost:4000 (the agent POSTs to `${baseUrl}/v1/metrics`). */
  baseUrl: string;
  apiKey: string;
  /** Default run of every point; a point may name its own with `log(..., { runId })`. */
  runId?: string;
  /** Points per request; a request also leaves every flushIntervalMs. Default 5000. */
  batchSize?: number;
  flushIntervalMs?: number;
  /** Points buffered or in flight before `log` throws BackpressureError / `logAsync` waits. Default 100000. */
  maxBufferedPoints?: number;
  /** Attempts per batch for 408/429/5xx/network errors. Default 8. */
  maxAttempts?: number;
  /** Backoff base and cap (full jitter). Defaults 200 ms and 30 s. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Flush on beforeExit / SIGINT / SIGTERM. Default true. */
  handleProcessExit?: boolean;
  /** Upper bound of the exit flush; buffered points still unsent then are dropped. Default 10 s. */
  exitFlushTimeoutMs?: number;
  fetch?: typeof fetch;
  /** Every dropped batch (and nothing else) is reported here. Default: a line on stderr. */
  onError?: (error: MetricsAgentError) => void;
}

export interface LogOptions {
  /** Date, ISO-8601 string or epoch milliseconds; default: now. */
  timestamp?: Date | string | number;
  tags?: Record<string, string>;
  runId?: string;
}

export interface MetricsAgentStats {
  /** Points accepted by log/logAsync and not yet delivered or dropped (includes the batch in flight). */
  buffered: number;
  /** Points in batches the server answered with 2xx. */
  sent: number;
  failedBatches: number;
  retries: number;
}

export interface MetricsAgent {
  /** Buffers one point. Throws TypeError on invalid input, BackpressureError when the buffer is full. */
  log(name: string, value: number, step: number, options?: LogOptions): void;
  /** Like log, but waits for room when the buffer is full. */
  logAsync(name: string, value: number, step: number, options?: LogOptions): Promise<void>;
  /** Sends every point logged so far; rejects if any of their batches was dropped. */
  flush(): Promise<void>;
  /** Flushes, then stops the timer and the exit hooks; later log calls throw AgentClosedError. */
  close(): Promise<void>;
  stats(): MetricsAgentStats;
}

function toIsoTimestamp(timestamp: Date | string | number | undefined): string {
  if (timestamp === undefined) return new Date().toISOString();
  const date = timestamp instanceof Date ? timestamp : new Date(timestamp);
  if (Number.isNaN(date.getTime()) || (typeof timestamp === 'string' && timestamp.trim() === '')) {
    throw new TypeError(`metric timestamp ${JSON.stringify(String(timestamp))} is not a valid date`);
  }
  return date.toISOString();
}

/** Validates one point and returns its NDJSON line. */
export function encodePoint(
  name: string,
  value: number,
  step: number,
  options: LogOptions | undefined,
  defaultRunId: string | undefined,
): string {
  if (typeof name !== 'string' || !METRIC_NAME_PATTERN.test(name)) {
    throw new TypeError(
      `metric name ${JSON.stringify(name)} is invalid: 1-200 characters of A-Z a-z 0-9 _ . / -, not starting with . / -`,
    );
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new TypeError(`metric ${name}: value must be a finite number, got ${String(value)}`);
  }
  if (typeof step !== 'number' || !Number.isSafeInteger(step) || step < 0) {
    throw new TypeError(`metric ${name}: step must be a non-negative integer, got ${String(step)}`);
  }
  const runId = options?.runId ?? defaultRunId;
  if (typeof runId !== 'string' || runId === '') {
    throw new TypeError(`metric ${name}: no runId (pass one to createMetricsAgent or to log)`);
  }
  const tags = options?.tags ?? {};
  if (typeof tags !== 'object' || tags === null || Array.isArray(tags)) {
    throw new TypeError(`metric ${name}: tags must be an object of strings`);
  }
  for (const [key, tagValue] of Object.entries(tags)) {
    if (typeof tagValue !== 'string') throw new TypeError(`metric ${name}: tag ${JSON.stringify(key)} must be a string`);
  }
  const timestamp = toIsoTimestamp(options?.timestamp);
  return JSON.stringify({ runId, name, value, step, timestamp, tags });
}

function positiveInteger(value: number, option: string): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new TypeError(`${option} must be a positive integer, got ${value}`);
  return value;
}

interface FlushWaiter {
  target: number;
  errors: MetricsAgentError[];
  resolve: () => void;
  reject: (error: unknown) => void;
}

export function createMetricsAgent(options: MetricsAgentOptions): MetricsAgent {
  if (!options.baseUrl) throw new TypeError('createMetricsAgent: baseUrl is required');
  if (!options.apiKey) throw new TypeError('createMetricsAgent: apiKey is required');
  const maxBuffered = positiveInteger(options.maxBufferedPoints ?? 100_000, 'maxBufferedPoints');
  const batchSize = Math.min(positiveInteger(options.batchSize ?? 5000, 'batchSize'), maxBuffered);
  const flushIntervalMs = positiveInteger(options.flushIntervalMs ?? 1000, 'flushIntervalMs');
  const maxAttempts = positiveInteger(options.maxAttempts ?? 8, 'maxAttempts');
  const exitFlushTimeoutMs = options.exitFlushTimeoutMs ?? 10_000;
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const onError = options.onError ?? ((error: MetricsAgentError) => process.stderr.write(`[metrics-agent] ${error.message}\n`));
  const abortController = new AbortController();

  let pending: string[] = [];
  let inFlight = 0;
  let reserved = 0; // room promised to woken logAsync callers
  let logged = 0; // points ever accepted
  let taken = 0; // points ever moved into a batch
  let drainTarget = 0; // send everything up to this count even if batches are not full
  let closed = false;
  let pumping: Promise<void> | null = null;
  let exitFlushing: Promise<void> | null = null;
  const stats = { sent: 0, failedBatches: 0, retries: 0 };
  const flushWaiters: FlushWaiter[] = [];
  const roomWaiters: Array<{ resolve: () => void; reject: (error: unknown) => void }> = [];

  const buffered = () => pending.length + inFlight;
  const occupied = () => buffered() + reserved;

  const report = (error: MetricsAgentError) => {
    try {
      onError(error);
    } catch {
      // a throwing onError must not break delivery
    }
  };

  const shouldSend = () =>
    !abortController.signal.aborted && (pending.length >= batchSize || (taken < drainTarget && pending.length > 0));

  const settleFlushWaiters = (batchStart: number, error: MetricsAgentError | undefined) => {
    const completed = taken - inFlight;
    for (let i = flushWaiters.length - 1; i >= 0; i--) {
      const waiter = flushWaiters[i]!;
      if (error && batchStart < waiter.target) waiter.errors.push(error);
      if (completed >= waiter.target) {
        flushWaiters.splice(i, 1);
        if (waiter.errors.length === 0) waiter.resolve();
        else if (waiter.errors.length === 1) waiter.reject(waiter.errors[0]);
        else waiter.reject(new AggregateError(waiter.errors, `${waiter.errors.length} metric batches were dropped`));
      }
    }
  };

  const wakeRoomWaiters = () => {
    while (roomWaiters.length > 0 && occupied() < maxBuffered) {
      reserved++;
      roomWaiters.shift()!.resolve();
    }
  };

  const pump = async () => {
    while (shouldSend()) {
      const lines = pending.splice(0, batchSize);
      const batchStart = taken;
      taken += lines.length;
      inFlight = lines.length;
      let failure: MetricsAgentError | undefined;
      try {
        await sendBatch(lines, {
          baseUrl: options.baseUrl,
          apiKey: options.apiKey,
          maxAttempts,
          baseDelayMs: options.baseDelayMs ?? 200,
          maxDelayMs: options.maxDelayMs ?? 30_000,
          fetch: fetchImpl,
          signal: abortController.signal,
          onRetry: () => {
            stats.retries++;
          },
        });
        stats.sent += lines.length;
      } catch (error) {
        failure = error instanceof MetricsAgentError ? error : new MetricsAgentError(`metrics batch failed: ${String(error)}`);
        stats.failedBatches++;
        report(failure);
      }
      inFlight = 0;
      settleFlushWaiters(batchStart, failure);
      wakeRoomWaiters();
    }
  };

  const schedule = () => {
    if (pumping) return;
    pumping = pump().finally(() => {
      pumping = null;
      if (shouldSend()) schedule();
    });
  };

  const requestDrain = () => {
    drainTarget = Math.max(drainTarget, logged);
    schedule();
  };

  const push = (line: string) => {
    pending.push(line);
    logged++;
    if (occupied() >= maxBuffered) requestDrain();
    else if (pending.length >= batchSize) schedule();
  };

  const assertOpen = () => {
    if (closed) throw new AgentClosedError('metrics agent is closed: it accepts no more points');
  };

  const timer = setInterval(() => {
    if (pending.length > 0) requestDrain();
  }, flushIntervalMs);
  timer.unref();

  const flush = (): Promise<void> => {
    if (logged === taken - inFlight && pending.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      flushWaiters.push({ target: logged, errors: [], resolve, reject });
      requestDrain();
    });
  };

  /** Drops everything unsent: pending points, the batch in flight, waiting logAsync callers. */
  const abort = (reason: string) => {
    closed = true;
    clearInterval(timer);
    abortController.abort(new AgentClosedError(reason));
    const dropped = pending.length;
    if (dropped > 0) {
      const start = taken;
      taken += dropped;
      pending = [];
      stats.failedBatches++;
      const error = new MetricsBatchError(`${dropped} buffered metric points dropped: ${reason}`, 'aborted', {
        points: dropped,
        attempts: 0,
        idempotencyKey: '',
      });
      report(error);
      settleFlushWaiters(start, error);
    }
    for (const waiter of roomWaiters.splice(0)) waiter.reject(new AgentClosedError(reason));
  };

  const participant: ExitParticipant = {
    buffered,
    exitFlush() {
      if (!exitFlushing) {
        exitFlushing = new Promise<void>((resolve) => {
          const deadline = setTimeout(() => {
            abort(`exit flush did not finish within ${exitFlushTimeoutMs} ms`);
            resolve();
          }, exitFlushTimeoutMs);
          flush()
            .catch(() => {}) // already reported through onError
            .finally(() => {
              clearTimeout(deadline);
              exitFlushing = null;
              resolve();
            });
        });
      }
      return exitFlushing;
    },
  };
  if (options.handleProcessExit !== false) registerExitParticipant(participant);

  return {
    log(name, value, step, logOptions) {
      assertOpen();
      const line = encodePoint(name, value, step, logOptions, options.runId);
      if (occupied() >= maxBuffered || roomWaiters.length > 0) {
        requestDrain();
        throw new BackpressureError(maxBuffered);
      }
      push(line);
    },
    async logAsync(name, value, step, logOptions) {
      assertOpen();
      const line = encodePoint(name, value, step, logOptions, options.runId);
      if (occupied() >= maxBuffered || roomWaiters.length > 0) {
        const room = new Promise<void>((resolve, reject) => roomWaiters.push({ resolve, reject }));
        requestDrain();
        await room;
        reserved--;
      }
      push(line);
    },
    flush,
    async close() {
      if (closed) return flush();
      closed = true;
      try {
        // logAsync calls already waiting for room still deliver their point: flush until none is left.
        let firstError: unknown;
        do {
          await flush().catch((error: unknown) => {
            firstError ??= error;
          });
          await new Promise((resolve) => setImmediate(resolve));
        } while (!abortController.signal.aborted && (roomWaiters.length > 0 || reserved > 0 || pending.length > 0));
        if (firstError !== undefined) throw firstError;
      } finally {
        clearInterval(timer);
        unregisterExitParticipant(participant);
      }
    },
    stats() {
      return { buffered: buffered(), ...stats };
    },
  };
}
