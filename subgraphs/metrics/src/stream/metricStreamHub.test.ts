import { describe, expect, it } from 'vitest';
import type { MetricRow } from '../store/types';
import { MetricStreamHub, type StreamEvent, type StreamPoint } from './metricStreamHub';

const RUN = '0b7e6a52-3c1f-4d55-9a7e-1f2d3c4b5a60';
const OTHER = '7d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d';

const row = (name: string, step: number, runId = RUN): MetricRow => ({
  runId,
  experimentId: 'e',
  name,
  step,
  value: step / 10,
  timestampMs: 1_700_000_000_000 + step,
  tags: {},
});

/** Up to n points: stops early when nothing more is queued. */
async function take(it: AsyncIterator<StreamEvent>, n: number): Promise<StreamPoint[]> {
  const out: StreamPoint[] = [];
  const idle = Symbol('idle');
  for (let i = 0; i < n; i++) {
    const r = await Promise.race([it.next(), new Promise<typeof idle>((resolve) => setTimeout(resolve, 50, idle))]);
    if (r === idle || r.done) break;
    if ('eventsMayBeLost' in r.value) throw new Error('a notice where a point was expected');
    out.push(r.value);
  }
  return out;
}

describe('MetricStreamHub', () => {
  it('delivers a run’s points per metric in step order, filtered by name, and nothing of other runs', async () => {
    const hub = new MetricStreamHub();
    const sub = hub.subscribe(RUN.toUpperCase(), ['loss', 'acc']);
    hub.publish([row('loss', 2), row('lr', 1), row('loss', 1), row('acc', 5), row('loss', 3, OTHER)]);
    const got = await take(sub, 3);
    expect(got.map((p) => [p.name, p.step])).toEqual([
      ['acc', 5],
      ['loss', 1],
      ['loss', 2],
    ]);
    await sub.return?.();
    expect(hub.size).toBe(0);
  });

  it('a waiting subscriber is woken by the next publish', async () => {
    const hub = new MetricStreamHub();
    const sub = hub.subscribe(RUN);
    const pending = sub.next();
    hub.publish([row('loss', 7)]);
    expect((await pending).value).toMatchObject({ name: 'loss', step: 7, value: 0.7, skipped: 0 });
  });

  it('a late lower step is not delivered but counted on the next point', async () => {
    const hub = new MetricStreamHub();
    const sub = hub.subscribe(RUN);
    hub.publish([row('loss', 10)]);
    hub.publish([row('loss', 4), row('loss', 5)]);
    hub.publish([row('loss', 11)]);
    const got = await take(sub, 2);
    expect(got.map((p) => [p.step, p.skipped])).toEqual([
      [10, 0],
      [11, 2],
    ]);
  });

  it('a slow subscriber is coalesced to the latest point per metric, never queueing more than the bound', async () => {
    const hub = new MetricStreamHub({ maxQueued: 100 });
    const sub = hub.subscribe(RUN);
    const rows = Array.from({ length: 10_000 }, (_, i) => row(i % 2 ? 'loss' : 'acc', i));
    hub.publish(rows);
    const got = await take(sub, 200);
    expect(got.length).toBeLessThanOrEqual(101);
    const last = got.filter((p) => p.name === 'loss').at(-1);
    expect(last?.step).toBe(9999);
    // Every point is either delivered or counted as skipped.
    expect(got.reduce((n, p) => n + 1 + p.skipped, 0)).toBe(10_000);
    const steps = got.filter((p) => p.name === 'acc').map((p) => p.step);
    expect(steps).toEqual([...steps].sort((a, b) => a - b));
  });

  it('a subscriber behind on more metrics than the bound is ended with SERVICE_UNAVAILABLE', async () => {
    const hub = new MetricStreamHub({ maxQueued: 3 });
    const sub = hub.subscribe(RUN);
    hub.publish(['a', 'b', 'c', 'd', 'e'].map((n) => row(n, 1)));
    await expect(sub.next()).rejects.toMatchObject({ extensions: { code: 'SERVICE_UNAVAILABLE' } });
    expect(hub.size).toBe(0);
    expect((await sub.next()).done).toBe(true);
  });

  it('deleting an experiment ends its runs’ streams with NOT_FOUND, waiting or not, and leaves the others running', async () => {
    const hub = new MetricStreamHub();
    const EXPERIMENT = '3f0c9a1e-7b2d-4c5e-8f6a-0b1c2d3e4f50';
    const waiting = hub.subscribe(RUN, undefined, EXPERIMENT.toUpperCase());
    const pending = waiting.next();
    const queued = hub.subscribe(RUN, ['loss'], EXPERIMENT);
    hub.publish([row('loss', 1)]);
    const other = hub.subscribe(OTHER, undefined, '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d');
    expect((await pending).value).toMatchObject({ step: 1 });
    const next = waiting.next();
    expect(hub.deleted({ experimentId: EXPERIMENT })).toBe(2);
    await expect(next).rejects.toMatchObject({ extensions: { code: 'NOT_FOUND', runId: RUN } });
    // A queued point is not delivered after the deletion: the stream ends with the error.
    await expect(queued.next()).rejects.toMatchObject({ message: expect.stringMatching(/was deleted/) });
    expect((await queued.next()).done).toBe(true);
    expect(hub.size).toBe(1);
    hub.publish([row('x', 1, OTHER)]);
    expect((await other.next()).value).toMatchObject({ name: 'x' });
  });

  it('deleting runs ends their streams; a stream started just after a deletion ends at once', async () => {
    const hub = new MetricStreamHub();
    const sub = hub.subscribe(RUN);
    expect(hub.deleted({ runIds: [RUN.toUpperCase()] })).toBe(1);
    await expect(sub.next()).rejects.toMatchObject({ extensions: { code: 'NOT_FOUND' } });
    const late = hub.subscribe(RUN);
    await expect(late.next()).rejects.toMatchObject({ extensions: { code: 'NOT_FOUND' } });
    hub.deleted({ experimentId: '3f0c9a1e-7b2d-4c5e-8f6a-0b1c2d3e4f50' });
    const lateInExperiment = hub.subscribe(OTHER, undefined, '3F0C9A1E-7B2D-4C5E-8F6A-0B1C2D3E4F50');
    await expect(lateInExperiment.next()).rejects.toMatchObject({ extensions: { code: 'NOT_FOUND' } });
    expect(hub.size).toBe(0);
  });

  it('close ends every subscription', async () => {
    const hub = new MetricStreamHub();
    const a = hub.subscribe(RUN);
    const b = hub.subscribe(OTHER);
    const waiting = a.next();
    hub.close();
    expect((await waiting).done).toBe(true);
    expect((await b.next()).done).toBe(true);
    expect(hub.size).toBe(0);
  });

  it('tells its watcher of the first subscriber of a run and last leaving, and waits for the feed before a stream starts', async () => {
    const calls: string[] = [];
    let feedReady = () => {};
    const hub = new MetricStreamHub({
      watcher: {
        watch: (runId) => {
          calls.push(`watch ${runId}`);
          return new Promise<void>((resolve) => (feedReady = resolve));
        },
        unwatch: (runId) => calls.push(`unwatch ${runId}`),
      },
    });
    const a = hub.subscribe(RUN.toUpperCase());
    const b = hub.subscribe(RUN);
    let ready = false;
    const waiting = hub.ready(RUN).then(() => (ready = true));
    await Promise.resolve();
    expect(ready).toBe(false);
    feedReady();
    await waiting;
    expect(hub.watchedRuns()).toEqual([RUN]);
    await a.return?.();
    expect(calls).toEqual([`watch ${RUN}`]);
    await b.return?.();
    expect(calls).toEqual([`watch ${RUN}`, `unwatch ${RUN}`]);
    await hub.ready(RUN);
  });

  it('an interrupted feed gives every subscriber one notice before its next point, and the stream goes on', async () => {
    const hub = new MetricStreamHub();
    const waiting = hub.subscribe(RUN);
    const queued = hub.subscribe(RUN);
    const pending = waiting.next();
    expect(hub.interrupted()).toBe(2);
    expect((await pending).value).toEqual({ eventsMayBeLost: true });
    hub.interrupted();
    hub.publish([row('loss', 1)]);
    for (const stream of [waiting, queued]) {
      expect((await stream.next()).value).toEqual({ eventsMayBeLost: true });
      expect((await stream.next()).value).toMatchObject({ name: 'loss', step: 1 });
    }
  });
});
