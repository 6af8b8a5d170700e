import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import { type LineError, MetricsBatchError } from './errors';

const gzip = promisify(gzipCallback);

export interface TransportOptions {
  baseUrl: string;
  apiKey: string;
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  fetch: typeof fetch;
  signal: AbortSignal;
  onRetry: () => void;
}

/** Full-jitter exponential backoff: uniform in [0, min(cap, base * 2^(attempt-1))]. */
export function backoffDelay(attempt: number, baseDelayMs: number, maxDelayMs: number, random = Math.random): number {
  return Math.floor(random() * Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1)));
}

/** Retry-After as delta-seconds or an HTTP date, in milliseconds; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function abortedMessage(points: number, reason: unknown): string {
  return `metrics batch of ${points} points dropped: ${reason instanceof Error ? reason.message : 'agent aborted'}`;
}

function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

async function readJson(response: Response): Promise<unknown> {
  const text = await response.text().catch(() => '');
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * POSTs one batch of NDJSON lines, gzip-compressed, with one Idempotency-Key reused on every retry.
 * Resolves with the server's `accepted` count; rejects with a MetricsBatchError (batch dropped).
 */
export async function sendBatch(lines: string[], options: TransportOptions): Promise<number> {
  const idempotencyKey = randomUUID();
  const body = await gzip(Buffer.from(`${lines.join('\n')}\n`));
  const url = `${options.baseUrl.replace(/\/+$/, '')}/v1/metrics`;
  const points = lines.length;
  let lastCause: unknown;
  let lastStatus: number | undefined;
  for (let attempt = 1; attempt <= options.maxAttempts; attempt++) {
    let retryAfterMs: number | undefined;
    if (options.signal.aborted) {
      throw new MetricsBatchError(abortedMessage(points, options.signal.reason), 'aborted', {
        points,
        attempts: attempt - 1,
        idempotencyKey,
        cause: options.signal.reason,
      });
    }
    try {
      const response = await options.fetch(url, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${options.apiKey}`,
          'content-type': 'application/x-ndjson',
          'content-encoding': 'gzip',
          'idempotency-key': idempotencyKey,
        },
        body,
        signal: options.signal,
      });
      const json = await readJson(response);
      if (response.ok) {
        const accepted = (json as { accepted?: unknown } | undefined)?.accepted;
        return typeof accepted === 'number' ? accepted : points;
      }
      const status = response.status;
      lastStatus = status;
      if (status === 400) {
        const errors = (json as { errors?: unknown } | undefined)?.errors;
        const lineErrors = Array.isArray(errors) ? (errors as LineError[]) : [];
        const first = lineErrors[0];
        throw new MetricsBatchError(
          `metrics batch of ${points} points rejected (400)${first ? `: line ${first.line}: ${first.reason}` : ''}` +
            (lineErrors.length > 1 ? ` (and ${lineErrors.length - 1} more)` : ''),
          'rejected',
          { points, attempts: attempt, idempotencyKey, status, lineErrors },
        );
      }
      if (status === 401 || status === 403) {
        throw new MetricsBatchError(
          `metrics batch of ${points} points refused (${status}): check the API key and its access to the run`,
          'unauthorized',
          { points, attempts: attempt, idempotencyKey, status },
        );
      }
      if (!isRetryableStatus(status)) {
        throw new MetricsBatchError(`metrics batch of ${points} points failed with HTTP ${status}`, 'http', {
          points,
          attempts: attempt,
          idempotencyKey,
          status,
        });
      }
      lastCause = new Error(`HTTP ${status}`);
      retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
    } catch (error) {
      if (error instanceof MetricsBatchError) throw error;
      if (options.signal.aborted) {
        throw new MetricsBatchError(abortedMessage(points, options.signal.reason), 'aborted', {
          points,
          attempts: attempt,
          idempotencyKey,
          cause: options.signal.reason,
        });
      }
      lastCause = error; // network error: retried
      lastStatus = undefined;
    }
    if (attempt === options.maxAttempts) break;
    const delay = retryAfterMs ?? backoffDelay(attempt, options.baseDelayMs, options.maxDelayMs);
    options.onRetry();
    try {
      await sleep(delay, options.signal);
    } catch (reason) {
      throw new MetricsBatchError(abortedMessage(points, reason), 'aborted', {
        points,
        attempts: attempt,
        idempotencyKey,
        cause: reason,
      });
    }
  }
  const causeText = lastCause instanceof Error ? lastCause.message : String(lastCause);
  throw new MetricsBatchError(
    `metrics batch of ${points} points dropped after ${options.maxAttempts} attempts: ${causeText}`,
    'exhausted',
    { points, attempts: options.maxAttempts, idempotencyKey, status: lastStatus, cause: lastCause },
  );
}
