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
  /** A gap to refill (after a reconnect: every metric; after skipped points: that one). */
  onGap(listener: (name: string | null) => void): () => void;
  /** Names seen live that were not known when the page loaded. */
  onNewName(listener: (name: string) => void): () => void;
}

/** Subscribes while `live` (the run is RUNNING); points of a frame are batched per metric. */
export function useLiveFeed(runId: string, live: boolean): LiveFeed {
  const client = useLabClient();
  const feed = useMemo(() => {
    const points = new Map<string, Set<(p: LivePoint[]) => void>>();
    const gaps = new Set<(name: string | null) => void>();
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
      gap(name: string | null) {
        for (const l of gaps) l(name);
      },
      onPoints(name: string, listener: (p: LivePoint[]) => void) {
        const set = points.get(name) ?? new Set();
        points.set(name, set);
        set.add(listener);
        return () => set.delete(listener);
      },
      onGap(listener: (name: string | null) => void) {
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
    const subscription = client.urql.subscription(RunMetricStream, { runId }).subscribe((result) => {
      const point = result.data?.metricStream;
      if (!point) return;
      if (point.skipped > 0) feed.gap(point.name);
      feed.push({ name: point.name, step: point.step, value: point.value });
    });
    const stopReconnect = client.onReconnect(() => feed.gap(null));
    return () => {
      subscription.unsubscribe();
      stopReconnect();
    };
  }, [client, runId, live, feed]);

  return feed;
}
