/**
 * A run's live points: one metricStream subscription per open run page
 * (all its metrics), fanned out to the charts by metric name. Each chart
 * appends what it gets; after the socket reconnects, or when the stream says
 * points were skipped, the charts are told to refill from metricSeries.
 */
import { useEffect, useMemo } from 'react';
import { useLabClient } from '../../app/session';
import { graphql } from '../../gql';

export const RunMetricStream = graphql(`
  subscription RunMetricStream($runId: ID!) {
    metricStream(runId: $runId) {
      name
      step
      value
      skipped
    }
  }
`);

export interface LivePoint {
  name: string;
  step: number;
  value: number;
}

export interface LiveFeed {
  /** Points of one metric as they arrive; returns an unsubscribe. */
  onPoints(name: string, listener: (points: LivePoint[]) => void): () => void;
  /**
   * A gap to refill (name null: every metric, after a reconnect; a name: that metric, after skipped points).
   * `closed` is true once the stream flows again: a refill then covers the whole gap, from where it began.
   */
  onGap(listener: (name: string | null, closed: boolean) => void): () => void;
  /** Names seen live that were not known when the page loaded. */
  onNewName(listener: (name: string) => void): () => void;
}

/** Subscribes while `live` (the run is RUNNING); points of a frame are batched per metric. */
export function useLiveFeed(runId: string, live: boolean): LiveFeed {
  const client = useLabClient();
  const feed = useMemo(() => {
    const points = new Map<string, Set<(p: LivePoint[]) => void>>();
    const gaps = new Set<(name: string | null, closed: boolean) => void>();
    const names = new Set<(name: string) => void>();
    let pending = new Map<string, LivePoint[]>();
    let scheduled = false;
    const flush = () => {
      scheduled = false;
      const batch = pending;
      pending = new Map();
      for (const [name, list] of batch) {
        const listeners = points.get(name);
        if (listeners?.size) for (const l of listeners) l(list);
        else for (const l of names) l(name);
      }
    };
    return {
      push(p: LivePoint) {
        const list = pending.get(p.name);
        if (list) list.push(p);
        else pending.set(p.name, [p]);
        if (!scheduled) {
          scheduled = true;
          requestAnimationFrame(flush);
        }
      },
      gap(name: string | null, closed: boolean) {
        for (const l of gaps) l(name, closed);
      },
      onPoints(name: string, listener: (p: LivePoint[]) => void) {
        const set = points.get(name) ?? new Set();
        points.set(name, set);
        set.add(listener);
        return () => set.delete(listener);
      },
      onGap(listener: (name: string | null, closed: boolean) => void) {
        gaps.add(listener);
        return () => gaps.delete(listener);
      },
      onNewName(listener: (name: string) => void) {
        names.add(listener);
        return () => names.delete(listener);
      },
    };
  }, []);

  useEffect(() => {
    if (!live) return;
    // After a reconnect of the socket, or the gateway's notice that the metrics subgraph's stream broke
    // (extensions.eventsMayBeLost; it resubscribes by itself), the gap is refilled at once, every 3 s while
    // no point arrives (points logged before the stream is back are stored, not streamed), and once more when
    // the first point after it arrives (the stream flows again, so nothing can fall between the two).
    let gapPending = false;
    let timer: ReturnType<typeof setInterval> | undefined;
    const refill = () => {
      gapPending = true;
      feed.gap(null, false);
      clearInterval(timer);
      timer = setInterval(() => feed.gap(null, false), 3000);
    };
    const subscription = client.urql.subscription(RunMetricStream, { runId }).subscribe((result) => {
      if (result.error) {
        // A result with an error carries the previous point's data (urql keeps it): not a new point.
        if (result.error.graphQLErrors.some((e) => e.extensions?.eventsMayBeLost)) refill();
        return;
      }
      const point = result.data?.metricStream;
      if (!point) return;
      // Refills first, so each starts before this point's step.
      if (gapPending) {
        gapPending = false;
        clearInterval(timer);
        feed.gap(null, true);
      } else if (point.skipped > 0) feed.gap(point.name, true);
      feed.push({ name: point.name, step: point.step, value: point.value });
    });
    const stopReconnect = client.onReconnect(refill);
    return () => {
      clearInterval(timer);
      subscription.unsubscribe();
      stopReconnect();
    };
  }, [client, runId, live, feed]);

  return feed;
}
