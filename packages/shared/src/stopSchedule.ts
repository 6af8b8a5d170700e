/**
 * When each part of a service's stop happens, counted from the signal, so that the whole stop fits in
 * LAB_STOP_TIMEOUT_SECONDS (config.stopTimeoutMs):
 *  - at once: listening stops, WebSocket clients are told (1001 going away), requests in flight go on;
 *  - cutoffMs: an ingest stream still arriving is cut where its stored chunks end and answered 503
 *    SERVICE_UNAVAILABLE with Retry-After and `accepted`;
 *  - closeMs: connections still open are closed;
 *  - totalMs: flushes (API usage, audit relay) and the store are done; the process exits.
 */

export interface StopSchedule {
  /** Date.now() when the stop began. */
  startedAt: number;
  cutoffMs: number;
  closeMs: number;
  totalMs: number;
}

/** Retry-After (seconds) of an answer refused because the service is stopping: about a restart. */
export const STOPPING_RETRY_AFTER_SECONDS = 5;

/** The default bound, as LAB_STOP_TIMEOUT_SECONDS' default, for a stop called without a schedule. */
export const DEFAULT_STOP_TIMEOUT_MS = 10_000;

/** The last 4 s of the bound (half of it when shorter than 8 s) answer cut work, then flush. */
export function stopSchedule(totalMs: number = DEFAULT_STOP_TIMEOUT_MS, startedAt = Date.now()): StopSchedule {
  const reserve = Math.min(4000, totalMs / 2);
  return { startedAt, cutoffMs: totalMs - reserve, closeMs: totalMs - reserve / 2, totalMs };
}

/** Milliseconds from now until `offsetMs` after the stop began (0 once past). */
export function msUntil(schedule: StopSchedule, offsetMs: number): number {
  return Math.max(0, schedule.startedAt + offsetMs - Date.now());
}

/** Aborts `controller` at the schedule's cutoff; returns what cancels the timer. */
export function abortAtCutoff(controller: AbortController, schedule: StopSchedule): () => void {
  const timer = setTimeout(() => controller.abort(new Error('the service is stopping')), msUntil(schedule, schedule.cutoffMs));
  return () => clearTimeout(timer);
}
