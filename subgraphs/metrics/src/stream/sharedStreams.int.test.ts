/**
 * Live streams across replicas on a real Redis: two hubs, as two metrics
 * replicas hold them, each publishing what "its" inserts stored.
 */
import { connectRedis } from '@lab/redis';
import { createLogger } from '@lab/shared';
import { redisRequirement, startTestRedis, type TestRedis } from '@lab/stack/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MetricRow } from '../store/types';
import { MetricStreamHub, type StreamEvent } from './metricStreamHub';
import { type SharedStreams, STREAM_CHANNEL_PREFIX, shareStreams } from './sharedStreams';

const requirement = redisRequirement();
const RUN = '7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const EXPERIMENT = '0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d';
const log = createLogger('metrics-test', { logLevel: 'silent', logFormat: 'json' });

const row = (name: string, step: number): MetricRow => ({
  runId: RUN,
  experimentId: EXPERIMENT,
  name,
  step,
  value: step / 10,
  timestampMs: Date.now(),
  tags: {},
});

interface Replica {
  hub: MetricStreamHub;
  shared: SharedStreams;
}

function replica(url: string): Replica {
  const sharing = shareStreams({ url, log });
  const hub = new MetricStreamHub({ watcher: sharing.watcher });
  return { hub, shared: sharing.attach(hub) };
}

async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function next(stream: AsyncIterator<StreamEvent>): Promise<StreamEvent> {
  const result = await Promise.race([
    stream.next(),
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no event within 5 s')), 5000)),
  ]);
  if (result.done) throw new Error('the stream ended');
  return result.value;
}

describe.skipIf(requirement !== 'run')(`live streams across replicas (${requirement})`, () => {
  let redis: TestRedis;
  let a: Replica;
  let b: Replica;

  beforeAll(async () => {
    redis = await startTestRedis();
    a = replica(redis.url);
    b = replica(redis.url);
    await until(() => a.shared.shared && b.shared.shared, 'both replicas sharing');
  });

  afterAll(async () => {
    await Promise.all([a?.shared.close(), b?.shared.close()]);
    await redis?.close();
  });

  it("a subscriber on one replica gets the other's rows in step order per metric, a late step counted as skipped", async () => {
    const stream = a.hub.subscribe(RUN, ['loss', 'acc'], EXPERIMENT);
    await a.hub.ready(RUN);
    b.shared.publish([row('loss', 2), row('loss', 1), row('acc', 1), row('other', 1)]);
    a.shared.publish([row('loss', 3)]);
    b.shared.publish([row('loss', 2.5), row('loss', 4)]);
    const got = [];
    for (let i = 0; i < 5; i++) got.push(await next(stream));
    expect(got).toMatchObject([
      { name: 'acc', step: 1, skipped: 0 },
      { name: 'loss', step: 1, skipped: 0 },
      { name: 'loss', step: 2, skipped: 0 },
      { name: 'loss', step: 3, skipped: 0 },
      { name: 'loss', step: 4, skipped: 1 },
    ]);
    await stream.return?.();
  });

  it('a replica listens to a run only while it has a subscriber for it', async () => {
    const probe = connectRedis({ url: redis.url, name: 'probe', log });
    await probe.whenReady(5000);
    const channels = async () => {
      const answer = (await probe.client.pubsub('NUMSUB', `${STREAM_CHANNEL_PREFIX}${RUN}`)) as [string, number];
      return Number(answer[1]);
    };
    const stream = b.hub.subscribe(RUN);
    await b.hub.ready(RUN);
    expect(await channels()).toBe(1);
    await stream.return?.();
    await until(() => b.hub.watchedRuns().length === 0, 'the subscriber gone');
    expect(await channels()).toBe(0);
    await probe.close();
  });

  it('a run nobody watches is not published again until a replica announces a subscriber for it', async () => {
    const RUN3 = '8a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
    const rowOf = (step: number): MetricRow => ({ ...row('loss', step), runId: RUN3 });
    const probe = connectRedis({ url: redis.url, name: 'probe', log, subscriber: true });
    await probe.whenReady(5000);
    const seen: number[] = [];
    probe.client.on('message', (_: string, message: string) => {
      for (const r of (JSON.parse(message) as { rows: MetricRow[] }).rows) seen.push(r.step);
    });
    b.shared.publish([rowOf(1)]); // reaches nobody: the run goes quiet on b
    await new Promise((r) => setTimeout(r, 100));
    await probe.client.subscribe(`${STREAM_CHANNEL_PREFIX}${RUN3}`);
    b.shared.publish([rowOf(2)]); // quiet: not even sent
    await new Promise((r) => setTimeout(r, 100));
    expect(seen).toEqual([]);
    const stream = a.hub.subscribe(RUN3, ['loss']);
    await a.hub.ready(RUN3); // a announces its subscriber
    await new Promise((r) => setTimeout(r, 100));
    b.shared.publish([rowOf(3)]);
    expect(await next(stream)).toMatchObject({ step: 3, skipped: 0 });
    await until(() => seen.length > 0, 'the probe got the rows');
    expect(seen).toEqual([3]);
    await stream.return?.();
    await probe.close();
  });

  it('a deletion told to one replica ends the streams on the other', async () => {
    const RUN2 = '9a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
    const stream = b.hub.subscribe(RUN2, undefined, EXPERIMENT);
    await b.hub.ready(RUN2);
    a.shared.deleted({ runIds: [RUN2] });
    await expect(stream.next()).rejects.toMatchObject({ extensions: { code: 'NOT_FOUND' } });
  });

  it('Redis stopped: subscribers are told events may be lost, rows still reach local subscribers; back: shared again', async () => {
    const onA = a.hub.subscribe(RUN, ['loss']);
    await a.hub.ready(RUN);
    a.shared.publish([row('loss', 10)]);
    expect(await next(onA)).toMatchObject({ step: 10 });
    await redis.stop();
    expect(await next(onA)).toEqual({ eventsMayBeLost: true });
    expect(a.shared.shared).toBe(false);
    a.shared.publish([row('loss', 11)]);
    expect(await next(onA)).toMatchObject({ step: 11 });
    await redis.start();
    await until(() => a.shared.shared && b.shared.shared, 'both replicas sharing again');
    b.shared.publish([row('loss', 12)]);
    expect(await next(onA)).toMatchObject({ step: 12, skipped: 0 });
    await onA.return?.();
  });
});
