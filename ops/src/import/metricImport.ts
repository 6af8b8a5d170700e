/**
 * One metric file of one run sent through `POST /v1/metrics`, in order, in
 * bodies of INGEST_CHUNK points with deterministic Idempotency-Keys (a digest
 * of the body): a body sent twice, by a retry or by a re-run within the
 * platform's key window (a day), is stored once.
 *
 * Points older than the platform's retention are refused by the ingest, which
 * names the retention in its reason: the first refusal teaches it, that body
 * and every later one leave such points out, and the summary counts them.
 */
import { type MetricColumns, ndjsonBatch, olderThan, readMetricFile } from './metricFiles';
import type { PlatformClient } from './platformClient';
import type { LeftOut } from './runFields';

/**
 * Points per request: the ingest's chunk (docs/ingestion.md), so that a
 * request is stored whole or not at all, and a body resent after a refusal
 * never repeats points stored before it.
 */
export const INGEST_CHUNK = 25_000;
const DAY_MS = 86_400_000;
/** Points this close to the retention's edge are left out too, so that they are not refused while in flight. */
const EDGE_MS = 10 * 60_000;
/** The platform's rule for metric names. */
const METRIC_NAME = /^[A-Za-z0-9_][A-Za-z0-9_./-]{0,199}$/;
/** Bodies sent at once for one metric. */
const PARALLEL_BODIES = 2;
const RETENTION_REASON = /older than the retention of metric points \((\d+) days/;

/** What the platform's retention turned away, over the whole import. */
export interface RetentionState {
  /** Learnt from the first refusal; undefined until then. */
  days: number | undefined;
  cutoffMs: number;
  points: number;
  oldestMs: number;
  newestMs: number;
}

export function newRetentionState(): RetentionState {
  return { days: undefined, cutoffMs: Number.NEGATIVE_INFINITY, points: 0, oldestMs: Number.POSITIVE_INFINITY, newestMs: 0 };
}

export interface MetricOutcome {
  sent: number;
  alreadyThere: number;
  invalid: number;
}

/**
 * Learns the retention from a refusal whose every reason is the retention's;
 * false when the refusal is about something else, or when the body was
 * already built with what it says (so resending it would not help).
 */
function learnRetention(state: RetentionState, errors: { reason: string }[], usedCutoffMs: number): boolean {
  const days = errors.map((e) => RETENTION_REASON.exec(e.reason)?.[1]).find((d) => d !== undefined);
  if (days === undefined || !errors.every((e) => RETENTION_REASON.test(e.reason))) return false;
  const cutoffMs = Date.now() - Number(days) * DAY_MS + EDGE_MS;
  if (cutoffMs > state.cutoffMs) {
    state.days = Number(days);
    state.cutoffMs = cutoffMs;
  }
  return state.cutoffMs > usedCutoffMs;
}

function countOld(state: RetentionState, columns: MetricColumns, from: number, to: number, cutoffMs: number): void {
  const old = olderThan(columns, from, to, cutoffMs);
  if (old.count === 0) return;
  state.points += old.count;
  state.oldestMs = Math.min(state.oldestMs, old.oldestMs);
  state.newestMs = Math.max(state.newestMs, old.newestMs);
}

/**
 * Sends a metric file's points to a run. `stored` is how many points of
 * that metric the run already has: when it covers what the file holds
 * (less what the retention refuses), nothing is sent.
 */
export async function importMetric(
  client: PlatformClient,
  runId: string,
  name: string,
  file: string,
  stored: number,
  retention: RetentionState,
  leftOut: LeftOut[],
): Promise<MetricOutcome> {
  if (!METRIC_NAME.test(name)) {
    leftOut.push({
      what: `metric ${name.slice(0, 60)}`,
      reason: 'the name is not 1 to 200 letters, digits and _ . / - (starting with a letter, digit or _)',
    });
    return { sent: 0, alreadyThere: 0, invalid: 0 };
  }
  const columns = await readMetricFile(file);
  if (columns.invalid > 0) {
    leftOut.push({
      what: `metric ${name}: ${columns.invalid} point(s)`,
      reason: `not a finite value at a whole step from 0 (first: "${columns.invalidExample}")`,
    });
  }
  const keep = columns.length - olderThan(columns, 0, columns.length, retention.cutoffMs).count;
  if (stored > 0 && stored >= keep) return { sent: 0, alreadyThere: stored, invalid: columns.invalid };
  let sent = 0;
  let refused: LeftOut | undefined;
  /** Sends points [from, to), again with the retention's points left out if it refuses them. */
  const sendRange = async (from: number, to: number): Promise<void> => {
    for (;;) {
      const cutoffMs = retention.cutoffMs;
      const batch = ndjsonBatch(runId, name, columns, from, to, cutoffMs);
      if (batch.points > 0) {
        const answer = await client.postPoints(batch.body, batch.idempotencyKey);
        if (!answer.ok) {
          if (learnRetention(retention, answer.errors, cutoffMs)) continue;
          const reasons = answer.errors.slice(0, 3).map((e) => `line ${e.line}: ${e.reason}`);
          refused ??= {
            what: `metric ${name}: points ${from} to ${to - 1}`,
            reason: `refused by the platform (${reasons.join('; ')})`,
          };
          return;
        }
        sent += batch.points;
      }
      countOld(retention, columns, from, to, cutoffMs);
      return;
    }
  };
  // Two bodies in flight: the next is built and sent while the platform stores one.
  const inFlight: Promise<void>[] = [];
  for (let from = 0; from < columns.length && refused === undefined; from += INGEST_CHUNK) {
    inFlight.push(sendRange(from, Math.min(from + INGEST_CHUNK, columns.length)));
    if (inFlight.length >= PARALLEL_BODIES) await inFlight.shift();
  }
  await Promise.all(inFlight);
  if (refused) leftOut.push(refused);
  return { sent, alreadyThere: 0, invalid: columns.invalid };
}
