/** Base class of every error the metrics agent raises or reports. */
export class MetricsAgentError extends Error {
  override name = 'MetricsAgentError';
}

/** `log()` was called while the buffer holds `maxBufferedPoints` points. */
export class BackpressureError extends MetricsAgentError {
  override name = 'BackpressureError';
  constructor(readonly maxBufferedPoints: number) {
    super(
      `metrics buffer full (${maxBufferedPoints} points waiting to be sent): ` +
        'use `await agent.logAsync(...)` to wait for room, or raise maxBufferedPoints',
    );
  }
}

/** The agent was closed (or its exit flush timed out): it accepts no more points. */
export class AgentClosedError extends MetricsAgentError {
  override name = 'AgentClosedError';
}

export interface LineError {
  line: number;
  reason: string;
}

export type BatchFailure =
  /** 400: the server refused the batch; never retried. */
  | 'rejected'
  /** 401/403: bad or insufficient API key; never retried. */
  | 'unauthorized'
  /** 408/429/5xx/network error on every one of maxAttempts attempts. */
  | 'exhausted'
  /** Any other unexpected status (e.g. 404, 413); not retried. */
  | 'http'
  /** The agent was aborted (exit flush timeout) while the batch was pending. */
  | 'aborted';

/** A batch could not be delivered and was dropped. */
export class MetricsBatchError extends MetricsAgentError {
  override name = 'MetricsBatchError';
  constructor(
    message: string,
    readonly failure: BatchFailure,
    readonly details: {
      points: number;
      attempts: number;
      idempotencyKey: string;
      status?: number;
      lineErrors?: LineError[];
      cause?: unknown;
    },
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
  }
  get status(): number | undefined {
    return this.details.status;
  }
  get lineErrors(): LineError[] {
    return this.details.lineErrors ?? [];
  }
}
