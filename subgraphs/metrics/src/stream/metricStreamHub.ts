/**
 * Live metric streams: Subscription.metricStream's source.
 *
 * Both ingest paths (logMetrics and POST /v1/metrics) end in one insert
 * (IngestStore.onInserted), which publishes the rows here once ClickHouse has
 * accepted them, so a subscriber sees only stored points and sees them within
 * one insert of being logged.
 *
 * Order: a published batch is delivered per metric in step order; a point
 * whose step is lower than the last one delivered for its metric (a late
 * batch) is not delivered but counted in the next point's `skipped`.
 *
 * Slow subscribers never grow memory without bound: each has a queue of at
 * most `maxQueued` points. When it is full, the queue is coalesced to the
 * latest point per metric (the points in between count as `skipped` on the
 * point that replaces them); a subscriber so far behind that even that
 * exceeds the bound is ended with SERVICE_UNAVAILABLE. Skipped points are
 * stored: a client refetches Run.metricSeries to fill the gap.
 *
 * Deletion: when the registry asks this service to delete the points of an
 * experiment or of runs (its deletion saga, its reconciler), `deleted` ends
 * every subscription on them with NOT_FOUND instead of leaving it silent, and
 * remembers the deletion for DELETED_MEMORY_MS, so a subscription that passed
 * its access check just before is ended as soon as it starts.
 *
 * The hub is in-process. With LAB_REDIS_URL, sharedStreams.ts feeds it the
 * rows every replica stored and the deletions every replica was told of, and
 * is told (`watcher`) which runs have subscribers here; when that feed is
 * interrupted, `interrupted()` gives every subscriber an `eventsMayBeLost`
 * notice (docs/operations/scale-out.md).
 */
import { labError } from '@lab/shared';
import type { DeleteMetricsRequest } from '@lab/shared/internal';
import type { MetricRow } from '../store/types';

export interface StreamPoint {
  runId: string;
  name: string;
  step: number;
  value: number;
  timestampMs: number;
  tags: Record<string, string>;
  /** Points of this metric not delivered just before this one (0 normally). */
  skipped: number;
}

/** Not a point: events may have been lost just before (the feed from other replicas was interrupted). */
export interface StreamNotice {
  eventsMayBeLost: true;
}

export type StreamEvent = StreamPoint | StreamNotice;

/** Told when a run gets its first subscriber here, and when its last one leaves. */
export interface RunWatcher {
  /** Resolves once points of the run stored elsewhere reach this hub (never rejects). */
  watch(runId: string): Promise<void>;
  unwatch(runId: string): void;
}

export interface MetricStreamOptions {
  /** Points a subscriber may have queued before the queue is coalesced (default 10,000). */
  maxQueued?: number;
  /** Runs subscribed here, for a feed from other replicas (default: none, in-process only). */
  watcher?: RunWatcher;
}

export const DEFAULT_MAX_QUEUED = 10_000;
/** How long a deletion is remembered (a subscription racing it is ended at its start). */
export const DELETED_MEMORY_MS = 10 * 60_000;
/** Most deletions remembered at once (runs and experiments); the oldest go first. */
export const MAX_DELETED_REMEMBERED = 100_000;

type Waiter = (result: IteratorResult<StreamEvent>) => void;

const NOTICE: StreamNotice = { eventsMayBeLost: true };

/** One subscription: a bounded queue drained by its async iterator. */
class Subscriber implements AsyncIterableIterator<StreamEvent> {
  private queue: StreamPoint[] = [];
  /** A notice to deliver before the next point. */
  private noticePending = false;
  private waiter: { resolve: Waiter; reject: (err: unknown) => void } | undefined;
  private failure: Error | undefined;
  private done = false;
  /** Last step delivered or queued, per metric. */
  private readonly lastStep = new Map<string, number>();
  /** Points of a metric dropped for step order, carried onto its next point. */
  private readonly pendingSkips = new Map<string, number>();

  constructor(
    readonly runId: string,
    /** The run's experiment, when the subscriber knew it (a deletion of the experiment ends the stream). */
    readonly experimentId: string | undefined,
    private readonly names: ReadonlySet<string> | undefined,
    private readonly maxQueued: number,
    private readonly release: (s: Subscriber) => void,
  ) {}

  wants(name: string): boolean {
    return this.names === undefined || this.names.has(name);
  }

  get queued(): number {
    return this.queue.length;
  }

  push(row: MetricRow): void {
    if (this.done || !this.wants(row.name)) return;
    const last = this.lastStep.get(row.name);
    if (last !== undefined && row.step < last) {
      this.pendingSkips.set(row.name, (this.pendingSkips.get(row.name) ?? 0) + 1);
      return;
    }
    this.lastStep.set(row.name, row.step);
    const skipped = this.pendingSkips.get(row.name) ?? 0;
    if (skipped > 0) this.pendingSkips.delete(row.name);
    const point: StreamPoint = {
      runId: this.runId,
      name: row.name,
      step: row.step,
      value: row.value,
      timestampMs: row.timestampMs,
      tags: row.tags,
      skipped,
    };
    if (this.waiter) {
      const { resolve } = this.waiter;
      this.waiter = undefined;
      resolve({ value: point, done: false });
      return;
    }
    this.queue.push(point);
    if (this.queue.length > this.maxQueued) this.coalesce();
  }

  /** Events may have been lost: the subscriber is told before its next point. */
  notice(): void {
    if (this.done) return;
    if (this.waiter) {
      const { resolve } = this.waiter;
      this.waiter = undefined;
      resolve({ value: NOTICE, done: false });
      return;
    }
    this.noticePending = true;
  }

  /** Keeps the latest queued point per metric; the others become its `skipped`. */
  private coalesce(): void {
    const latest = new Map<string, StreamPoint>();
    for (const p of this.queue) {
      const kept = latest.get(p.name);
      latest.set(p.name, kept ? { ...p, skipped: kept.skipped + 1 + p.skipped } : p);
    }
    if (latest.size > this.maxQueued) {
      this.fail(
        labError(
          'SERVICE_UNAVAILABLE',
          `metricStream ended: the subscriber fell more than ${this.maxQueued} metrics behind; resubscribe and refetch Run.metricSeries`,
          { service: 'metrics' },
        ),
      );
      return;
    }
    this.queue = [...latest.values()];
  }

  /** Ends the stream with an error: queued points are dropped, the next read throws it. */
  fail(err: Error): void {
    this.queue = [];
    this.failure = err;
    this.finish();
    if (this.waiter) {
      const { reject } = this.waiter;
      this.waiter = undefined;
      this.failure = undefined;
      reject(err);
    }
  }

  private finish(): void {
    if (!this.done) {
      this.done = true;
      this.release(this);
    }
  }

  next(): Promise<IteratorResult<StreamEvent>> {
    if (this.noticePending && !this.done) {
      this.noticePending = false;
      return Promise.resolve({ value: NOTICE, done: false });
    }
    const point = this.queue.shift();
    if (point) return Promise.resolve({ value: point, done: false });
    if (this.failure) {
      const err = this.failure;
      this.failure = undefined;
      return Promise.reject(err);
    }
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  return(): Promise<IteratorResult<StreamEvent>> {
    this.queue = [];
    this.finish();
    if (this.waiter) {
      const { resolve } = this.waiter;
      this.waiter = undefined;
      resolve({ value: undefined, done: true });
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(err: unknown): Promise<IteratorResult<StreamEvent>> {
    void this.return();
    return Promise.reject(err);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

const byNameThenStep = (a: MetricRow, b: MetricRow) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.step - b.step);

/** The error a stream on a deleted run ends with. */
function deletedError(runId: string): Error {
  return labError('NOT_FOUND', `run ${runId} was deleted; its metric stream has ended`, { runId });
}

export class MetricStreamHub {
  private readonly runs = new Map<string, Set<Subscriber>>();
  private readonly maxQueued: number;
  /** Deleted run and experiment ids (lowercase), with when they may be forgotten, oldest first. */
  private readonly deletedIds = new Map<string, number>();
  private readonly watcher: RunWatcher | undefined;
  /** Runs watched through `watcher`: resolved once their feed is in place. */
  private readonly watching = new Map<string, Promise<void>>();

  constructor(options: MetricStreamOptions = {}) {
    this.maxQueued = options.maxQueued ?? DEFAULT_MAX_QUEUED;
    this.watcher = options.watcher;
  }

  /** Subscriptions open now. */
  get size(): number {
    let n = 0;
    for (const set of this.runs.values()) n += set.size;
    return n;
  }

  /**
   * Points of a run as they are stored; `names` filters (undefined: every
   * metric). With the run's experiment, deleting the experiment ends it too.
   */
  subscribe(runId: string, names?: readonly string[], experimentId?: string): AsyncIterableIterator<StreamEvent> {
    const key = runId.toLowerCase();
    const experiment = experimentId?.toLowerCase();
    const subscriber = new Subscriber(key, experiment, names ? new Set(names) : undefined, this.maxQueued, (s) => {
      const set = this.runs.get(key);
      set?.delete(s);
      if (set?.size === 0) {
        this.runs.delete(key);
        if (this.watching.delete(key)) this.watcher?.unwatch(key);
      }
    });
    if (this.wasDeleted(key) || (experiment !== undefined && this.wasDeleted(experiment))) {
      subscriber.fail(deletedError(key));
      return subscriber;
    }
    const set = this.runs.get(key);
    if (set) set.add(subscriber);
    else {
      this.runs.set(key, new Set([subscriber]));
      if (this.watcher) this.watching.set(key, this.watcher.watch(key));
    }
    return subscriber;
  }

  /** Resolves once points of the run stored by other replicas reach this hub (at once without a feed). */
  ready(runId: string): Promise<void> {
    return this.watching.get(runId.toLowerCase()) ?? Promise.resolve();
  }

  /** The runs with subscribers here now. */
  watchedRuns(): string[] {
    return [...this.runs.keys()];
  }

  /** The feed from other replicas was interrupted: every subscriber is told events may have been lost. */
  interrupted(): number {
    let told = 0;
    for (const set of this.runs.values()) {
      for (const subscriber of set) {
        subscriber.notice();
        told++;
      }
    }
    return told;
  }

  /**
   * The points of an experiment or of runs are being deleted: every stream on
   * them ends with NOT_FOUND, and one started soon after ends at once.
   * Answers how many streams it ended.
   */
  deleted(scope: DeleteMetricsRequest): number {
    const now = Date.now();
    const ids = 'experimentId' in scope ? [scope.experimentId.toLowerCase()] : scope.runIds.map((id) => id.toLowerCase());
    for (const id of ids) this.remember(id, now);
    const gone = new Set(ids);
    let ended = 0;
    for (const set of [...this.runs.values()]) {
      for (const subscriber of [...set]) {
        const hit =
          'experimentId' in scope
            ? subscriber.experimentId !== undefined && gone.has(subscriber.experimentId)
            : gone.has(subscriber.runId);
        if (!hit) continue;
        subscriber.fail(deletedError(subscriber.runId));
        ended++;
      }
    }
    return ended;
  }

  private remember(id: string, now: number): void {
    this.deletedIds.delete(id);
    this.deletedIds.set(id, now + DELETED_MEMORY_MS);
    for (const [old, until] of this.deletedIds) {
      if (until > now && this.deletedIds.size <= MAX_DELETED_REMEMBERED) break;
      this.deletedIds.delete(old);
    }
  }

  private wasDeleted(id: string): boolean {
    const until = this.deletedIds.get(id);
    return until !== undefined && until > Date.now();
  }

  /** Delivers stored rows to the subscribers of their runs, per metric in step order. */
  publish(rows: readonly MetricRow[]): void {
    if (this.runs.size === 0) return;
    const byRun = new Map<string, MetricRow[]>();
    for (const row of rows) {
      const key = row.runId.toLowerCase();
      if (!this.runs.has(key)) continue;
      const list = byRun.get(key);
      if (list) list.push(row);
      else byRun.set(key, [row]);
    }
    for (const [key, list] of byRun) {
      list.sort(byNameThenStep);
      for (const subscriber of [...(this.runs.get(key) ?? [])]) {
        for (const row of list) subscriber.push(row);
      }
    }
  }

  /** Ends every subscription (the service is stopping). */
  close(): void {
    for (const set of [...this.runs.values()]) for (const s of [...set]) void s.return();
  }
}
