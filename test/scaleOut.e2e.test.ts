/**
 * The platform as replicas sharing one Redis (LAB_REDIS_URL), as real
 * processes: gateway A in front of metrics replica 1, gateway B in front of
 * metrics replica 2 (its own embedded ClickHouse), one registry. A dashboard
 * subscribed on gateway A sees, in step order, the points a training job logs
 * through gateway B; stopping Redis mid-stream tells it events may have been
 * lost while ingestion goes on, and the stream is shared again once Redis is
 * back; a caller's rate limit holds across both gateways.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '@lab/shared';
import { ENTRIES, REPO_ROOT, ServiceProcess } from '@lab/stack';
import { redisRequirement, startTestRedis, type TestRedis } from '@lab/stack/testing';
import { type Client, createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { eventually, startTestPlatform, TEST_ADMIN_KEY, type TestPlatform } from './support/testPlatform';

const requirement = redisRequirement();
const BURST = 300;

interface Event {
  data?: { metricStream: { name: string; step: number; skipped: number; run: { name: string } } } | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

const STREAM = `subscription($runId: ID!) { metricStream(runId: $runId, names: ["loss"]) { name step skipped run { name } } }`;
const LOG = 'mutation($r: ID!, $p: [MetricPointInput!]!) { logMetrics(runId: $r, points: $p) { accepted } }';

async function post(url: string, query: string, variables?: Record<string, unknown>) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_ADMIN_KEY}` },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Event & Record<string, unknown> };
}

describe.skipIf(requirement !== 'run')(`replicas sharing one Redis (${requirement})`, () => {
  let redis: TestRedis;
  let platform: TestPlatform;
  let metrics2: ServiceProcess;
  let gatewayB: ServiceProcess;
  let graphqlB: string;
  let client: Client;
  let runId: string;

  beforeAll(async () => {
    redis = await startTestRedis();
    platform = await startTestPlatform({
      env: { LAB_REDIS_URL: redis.url, GATEWAY_RATE_LIMIT_PER_SECOND: '0.01', GATEWAY_RATE_LIMIT_BURST: String(BURST) },
    });
    const log = createLogger('scale-out-test', { logLevel: 'silent', logFormat: 'json' });
    const output = { logDir: path.join(platform.dataDir, 'logs') };
    const service = (name: string, entry: string, env: NodeJS.ProcessEnv) =>
      new ServiceProcess({ name, entry: path.join(REPO_ROOT, entry), env: { ...platform.serviceEnv, ...env }, output }, log);
    metrics2 = service('metrics-2', ENTRIES.metrics, {
      METRICS_PORT: '0',
      LAB_DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'lab-metrics-2-')),
    });
    const metrics2Url = await metrics2.start();
    gatewayB = service('gateway-b', ENTRIES.gateway, {
      GATEWAY_PORT: '0',
      REGISTRY_URL: `${platform.services.registry.url}/graphql`,
      METRICS_URL: `${metrics2Url}/graphql`,
      ARTIFACTS_URL: `${platform.services.artifacts.url}/graphql`,
    });
    graphqlB = `${await gatewayB.start()}/graphql`;
    ({ runId } = await platform.newRun({ project: 'replicas', experiment: 'sweep', run: 'r-1' }));
    client = createClient({
      url: platform.graphqlUrl.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { Authorization: `Bearer ${TEST_ADMIN_KEY}` },
      retryAttempts: 0,
    });
  });

  afterAll(async () => {
    await client?.dispose();
    await gatewayB?.stop();
    await metrics2?.stop();
    await platform?.stop();
    await redis?.close();
  });

  it('a subscriber on gateway A gets the points logged through gateway B in step order; Redis stopped: told, ingestion goes on', async () => {
    const received: Event[] = [];
    const events = client.iterate({ query: STREAM, variables: { runId } }) as AsyncIterableIterator<Event>;
    const reader = (async () => {
      for await (const event of events) received.push(event);
    })();
    const points = () => received.filter((e) => e.data).map((e) => e.data?.metricStream);
    const logB = (steps: number[]) =>
      post(graphqlB, LOG, { r: runId, p: steps.map((step) => ({ name: 'loss', value: 1 / (step + 1), step })) });

    // The subscription reaches replica 1 (and its Redis channel) asynchronously: log through B until a point comes back.
    let step = 0;
    await eventually(async () => {
      expect((await logB([step++])).body.errors).toBeUndefined();
      await new Promise((r) => setTimeout(r, 300));
      expect(points().length).toBeGreaterThan(0);
    });
    expect(points()[0]).toMatchObject({ name: 'loss', run: { name: 'r-1' } });
    const first = step;
    for (let i = 0; i < 10; i++) expect((await logB([step + 2 * i + 1, step + 2 * i])).body.errors).toBeUndefined();
    step += 20;
    await eventually(async () => expect(points().at(-1)?.step).toBe(first + 19), 10_000, 50);
    const steps = points().map((p) => p?.step as number);
    expect(steps).toEqual([...steps].sort((a, b) => a - b));
    expect(points().filter((p) => (p?.step as number) >= first)).toHaveLength(20);

    await redis.stop();
    await eventually(async () => {
      const notice = received.find((e) => e.errors?.[0]?.extensions?.eventsMayBeLost);
      expect(notice?.errors?.[0]?.extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', service: 'metrics' });
    });
    const logged = await logB([step++]);
    expect(logged.body.errors).toBeUndefined();
    expect(logged.body.data).toMatchObject({ logMetrics: { accepted: 1 } });

    await redis.start();
    const before = points().length;
    await eventually(async () => {
      expect((await logB([step++])).body.errors).toBeUndefined();
      await new Promise((r) => setTimeout(r, 300));
      expect(points().length).toBeGreaterThan(before);
    }, 30_000);
    await events.return?.();
    await reader;
  });

  it("a caller's rate limit holds across both gateways", async () => {
    const urls = [platform.graphqlUrl, graphqlB];
    let allowed = 0;
    const refusedBy = new Set<string>();
    for (let i = 0; i < 2 * BURST && refusedBy.size < 2; i++) {
      const url = urls[i % 2] as string;
      const answer = await post(url, '{ me { id } }');
      if (answer.status === 200) allowed++;
      else {
        expect(answer.status).toBe(429);
        expect(Number(answer.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
        refusedBy.add(url);
      }
    }
    expect(refusedBy.size).toBe(2);
    // Separate buckets would have let through nearly twice the burst; one shared bucket lets through at most one
    // burst (all of it when Redis, restarted by the test before, came back without the bucket; refill is 0.01/s).
    expect(allowed).toBeLessThanOrEqual(BURST);
  });
});
