/**
 * Live metric streams through the gateway, the platform running as real
 * processes: points logged by a training job reach a dashboard's
 * subscription with the run and experiment names from the registry, and a
 * metrics subgraph that restarts is resubscribed without the client doing
 * anything, the client being told that events may have been lost meanwhile;
 * and a stream on a run whose experiment is deleted ends with NOT_FOUND.
 */
import { type Client, createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { eventually, startTestPlatform, TEST_ADMIN_KEY, type TestPlatform } from './support/testPlatform';

interface Event {
  data?: {
    metricStream: { name: string; step: number; value: number; run: { name: string; experiment: { name: string } } };
  } | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

const STREAM = `subscription Live($runId: ID!) {
  metricStream(runId: $runId, names: ["loss"]) { name step value run { name experiment { name } } }
}`;
const LOG = 'mutation($r: ID!, $p: [MetricPointInput!]!) { logMetrics(runId: $r, points: $p) { accepted } }';

describe('live metric streams through the gateway', () => {
  let platform: TestPlatform;
  let client: Client;
  let runId: string;

  const log = (step: number) =>
    platform.gql<{ logMetrics: { accepted: number } }>(LOG, { r: runId, p: [{ name: 'loss', value: 1 / (step + 1), step }] });

  beforeAll(async () => {
    platform = await startTestPlatform();
    ({ runId } = await platform.newRun({ project: 'live', experiment: 'sweep-7', run: 'lr-3e-4' }));
    client = createClient({
      url: platform.graphqlUrl.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { Authorization: `Bearer ${TEST_ADMIN_KEY}` },
      retryAttempts: 0,
    });
  });

  afterAll(async () => {
    await client?.dispose();
    await platform?.stop();
  });

  it('streams logged points with the run and experiment, and survives a restart of the metrics subgraph', async () => {
    const events = client.iterate({ query: STREAM, variables: { runId } }) as AsyncIterableIterator<Event>;
    const received: Event[] = [];
    const reader = (async () => {
      for await (const event of events) received.push(event);
    })();
    const points = () => received.filter((e) => e.data).map((e) => e.data?.metricStream);

    // The subscription reaches the subgraph asynchronously: log until a point comes back.
    let step = 0;
    await eventually(async () => {
      expect((await log(step++)).body.errors).toBeUndefined();
      await new Promise((r) => setTimeout(r, 300));
      expect(points().length).toBeGreaterThan(0);
    });
    expect(points()[0]).toMatchObject({ name: 'loss', run: { name: 'lr-3e-4', experiment: { name: 'sweep-7' } } });
    const before = points().length;
    expect((await log(step++)).body.errors).toBeUndefined();
    await eventually(async () => expect(points().length).toBe(before + 1), 5_000, 50);
    const steps = points().map((p) => p?.step as number);
    expect(steps).toEqual([...steps].sort((a, b) => a - b));

    await platform.services.metrics.stop();
    await eventually(async () => {
      const notice = received.find((e) => e.errors?.[0]?.extensions?.eventsMayBeLost);
      expect(notice?.errors?.[0]?.extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', service: 'metrics' });
    });
    await platform.services.metrics.start();
    const afterRestart = points().length;
    await eventually(async () => {
      expect((await log(step++)).body.errors).toBeUndefined();
      await new Promise((r) => setTimeout(r, 300));
      expect(points().length).toBeGreaterThan(afterRestart);
    }, 30_000);
    expect(points().at(-1)).toMatchObject({ run: { name: 'lr-3e-4' } });

    await events.return?.();
    await reader;
  });

  it('ends a stream with NOT_FOUND, then completes it, when its experiment is deleted', async () => {
    const doomed = await platform.newRun({ project: 'live-deleted', experiment: 'to-delete', run: 'r' });
    const received: Event[] = [];
    let completed = false;
    const events = client.iterate({ query: STREAM, variables: { runId: doomed.runId } }) as AsyncIterableIterator<Event>;
    const reader = (async () => {
      for await (const event of events) received.push(event);
      completed = true;
    })();
    let step = 0;
    await eventually(async () => {
      const logged = await platform.gql(LOG, { r: doomed.runId, p: [{ name: 'loss', value: 1, step: step++ }] });
      expect(logged.body.errors).toBeUndefined();
      await new Promise((r) => setTimeout(r, 300));
      expect(received.some((e) => e.data)).toBe(true);
    });

    const deleted = await platform.gql<{ deleteExperiment: { status: string } }>(
      'mutation($id: ID!) { deleteExperiment(id: $id) { status } }',
      { id: doomed.experimentId },
    );
    expect(deleted.body.errors).toBeUndefined();
    const started = Date.now();
    await eventually(async () => expect(completed).toBe(true), 5_000, 50);
    expect(Date.now() - started).toBeLessThan(5_000);
    await reader;
    const last = received.at(-1);
    expect(last?.data ?? null).toBeNull();
    expect(last?.errors?.[0]).toMatchObject({
      message: expect.stringMatching(/was deleted/),
      extensions: { code: 'NOT_FOUND', service: 'metrics' },
    });
    // The socket stays usable; subscribing to the deleted run again is refused (as a result or as an error).
    const again = client.iterate({ query: STREAM, variables: { runId: doomed.runId } }) as AsyncIterableIterator<Event>;
    const refused = await again.next().then(
      (r) => r.value?.errors,
      (errors: unknown) => errors as Event['errors'],
    );
    expect(refused?.[0]?.extensions?.code).toBe('NOT_FOUND');
    await again.return?.();
  });
});
