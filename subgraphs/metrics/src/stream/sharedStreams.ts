/**
 * Live streams across metrics replicas (LAB_REDIS_URL). Each replica
 * publishes the rows it stored, after the insert succeeded, on the run's
 * Redis channel; a replica subscribes to a run's channel only while its hub
 * has a subscriber for that run, and feeds what arrives to the hub. While the
 * feed is up, a replica's own rows reach its hub through Redis too, so every
 * replica sees one order of batches and per-metric step order and `skipped`
 * are the same wherever a client is connected. Deletions are announced on one
 * channel every replica listens to, so a stream on any replica ends with
 * NOT_FOUND.
 *
 * Nobody watching: a run whose last PUBLISH reached no replica is not
 * encoded nor published again for QUIET_MS, so ingestion pays nothing for
 * runs nobody streams. A replica that starts watching a run announces it on
 * WATCH_CHANNEL once its own channel subscription is in place, and every
 * replica publishes that run again from then on.
 *
 * Redis down (or either connection lost): rows go straight to the local hub,
 * ingestion never waits on Redis, and every subscriber gets an
 * `eventsMayBeLost` notice when the feed is lost (points stored by other
 * replicas meanwhile do not arrive). When Redis is back, the watched channels
 * are subscribed again and the feed resumes.
 */
import { randomUUID } from 'node:crypto';
import { connectRedis } from '@lab/redis';
import type { Logger } from '@lab/shared';
import type { DeleteMetricsRequest } from '@lab/shared/internal';
import type { MetricRow } from '../store/types';
import type { MetricStreamHub, RunWatcher } from './metricStreamHub';

export const STREAM_CHANNEL_PREFIX = 'lab:metrics:stream:';
export const DELETIONS_CHANNEL = 'lab:metrics:deletions';
export const WATCH_CHANNEL = 'lab:metrics:watch';
/** How long a run nobody watched at its last PUBLISH is left unpublished (unless a watch is announced). */
export const QUIET_MS = 5000;

const channelOf = (runId: string) => `${STREAM_CHANNEL_PREFIX}${runId.toLowerCase()}`;

interface RowsMessage {
  rows: MetricRow[];
}
interface DeletionMessage {
  from: string;
  scope: DeleteMetricsRequest;
}

export interface SharedStreams {
  /** Whether rows go through Redis now (false: this replica's rows reach its own subscribers only). */
  readonly shared: boolean;
  /** Stored rows: to every replica's subscribers (through Redis), or to this replica's when Redis is down. */
  publish(rows: readonly MetricRow[]): void;
  /** A deletion this replica was told of: ends the streams on it here and on every other replica. */
  deleted(scope: DeleteMetricsRequest): number;
  close(): Promise<void>;
}

/**
 * Connects the hub to the other replicas through Redis. `attach(hub)` must be
 * called before the hub gets subscribers (the hub is built with `watcher`).
 */
export function shareStreams(options: { url: string; log: Logger }): {
  watcher: RunWatcher;
  attach(hub: MetricStreamHub): SharedStreams;
} {
  const { url } = options;
  const log = options.log.child({ component: 'shared-streams' });
  const replica = randomUUID();
  const pub = connectRedis({ url, name: 'metrics-publish', log });
  const sub = connectRedis({ url, name: 'metrics-subscribe', log, subscriber: true });
  const watched = new Set<string>();
  /** Runs whose last PUBLISH reached nobody, until when they are not published. */
  const quiet = new Map<string, number>();
  /** Watch announcements received: a PUBLISH that reached nobody quiets its run only if none came meanwhile. */
  let announcements = 0;
  let hub: MetricStreamHub | undefined;
  /** The subscriber connection holds every watched channel (set after each (re)connection's subscribe). */
  let subscribed = false;
  let wasShared = false;
  const shared = () => subscribed && pub.ready && sub.ready;

  const changed = () => {
    const now = shared();
    if (wasShared && !now) {
      const told = hub?.interrupted() ?? 0;
      log.warn({ subscribers: told }, 'live streams are local to this replica until Redis is back (subscribers told)');
    } else if (!wasShared && now) log.info({ runs: watched.size }, 'live streams shared across replicas');
    wasShared = now;
  };

  const resubscribe = async () => {
    subscribed = false;
    try {
      await sub.client.subscribe(DELETIONS_CHANNEL, WATCH_CHANNEL, ...[...watched].map(channelOf));
      // Runs watched here may have gone quiet elsewhere meanwhile.
      for (const runId of watched) await pub.client.publish(WATCH_CHANNEL, runId).catch(() => 0);
      subscribed = sub.ready;
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'subscribing to the live stream channels failed; retried on reconnection');
    }
    changed();
  };
  sub.onChange((ready) => {
    if (ready) void resubscribe();
    else {
      subscribed = false;
      changed();
    }
  });
  pub.onChange(changed);

  sub.client.on('message', (channel: string, message: string) => {
    if (!hub) return;
    try {
      if (channel === WATCH_CHANNEL) {
        announcements++;
        quiet.delete(message);
        return;
      }
      if (channel === DELETIONS_CHANNEL) {
        const { from, scope } = JSON.parse(message) as DeletionMessage;
        if (from !== replica) hub.deleted(scope);
        return;
      }
      hub.publish((JSON.parse(message) as RowsMessage).rows);
    } catch (err) {
      log.warn({ err: (err as Error).message, channel }, 'a live stream message could not be read; it is skipped');
    }
  });

  const watcher: RunWatcher = {
    async watch(runId) {
      watched.add(runId);
      if (!sub.ready) return;
      try {
        await sub.client.subscribe(channelOf(runId));
        quiet.delete(runId);
        if (pub.ready) await pub.client.publish(WATCH_CHANNEL, runId);
      } catch (err) {
        log.warn({ err: (err as Error).message, runId }, 'subscribing to a run channel failed; retried on reconnection');
      }
    },
    unwatch(runId) {
      watched.delete(runId);
      if (sub.ready) sub.client.unsubscribe(channelOf(runId)).catch(() => {});
    },
  };

  return {
    watcher,
    attach(target) {
      hub = target;
      const local = (rows: readonly MetricRow[]) => target.publish(rows);
      return {
        get shared() {
          return shared();
        },
        publish(rows) {
          if (rows.length === 0) return;
          if (!shared()) {
            local(rows);
            return;
          }
          const byRun = new Map<string, MetricRow[]>();
          for (const row of rows) {
            const key = row.runId.toLowerCase();
            const list = byRun.get(key);
            if (list) list.push(row);
            else byRun.set(key, [row]);
          }
          const now = Date.now();
          if (quiet.size > 10_000) for (const [runId, until] of quiet) if (until <= now) quiet.delete(runId);
          const sentAfter = announcements;
          for (const [runId, list] of byRun) {
            const until = quiet.get(runId);
            if (until !== undefined) {
              if (until > now) continue;
              quiet.delete(runId);
            }
            pub.client.publish(channelOf(runId), JSON.stringify({ rows: list } satisfies RowsMessage)).then(
              (receivers) => {
                if (receivers === 0 && announcements === sentAfter) quiet.set(runId, Date.now() + QUIET_MS);
              },
              () => {
                // Not sent: this replica's subscribers still get the rows; the others are told by their feed's loss.
                local(list);
              },
            );
          }
        },
        deleted(scope) {
          const ended = target.deleted(scope);
          if (pub.ready) {
            pub.client
              .publish(DELETIONS_CHANNEL, JSON.stringify({ from: replica, scope } satisfies DeletionMessage))
              .catch((err: Error) => log.warn({ err: err.message }, 'a deletion could not be announced to the other replicas'));
          }
          return ended;
        },
        async close() {
          hub = undefined;
          await Promise.all([pub.close(), sub.close()]);
        },
      };
    },
  };
}
