import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  AgentClosedError,
  BackpressureError,
  backoffDelay,
  createMetricsAgent,
  type MetricsAgent,
  type MetricsAgentError,
  type MetricsAgentOptions,
  MetricsBatchError,
  parseRetryAfter,
} from './index';
import { startTestServer, type TestServer } from './testing/testServer';

const RUN_ID = '11111111-2222-4333-8444-555555555555';

let server: TestServer;
const agents: MetricsAgent[] = [];

beforeEach(async () => {
  server = await startTestServer();
});
afterEach(async () => {
  for (const agent of agents.splice(0)) await agent.close().catch(() => {});
  await server.close();
});

function agentFor(options: Partial<MetricsAgentOptions> = {}) {
  const errors: MetricsAgentError[] = [];
  const agent = createMetricsAgent({
    baseUrl: server.url,
    apiKey: 'secret-key',
    runId: RUN_ID,
    flushIntervalMs: 60_000,
    baseDelayMs: 1,
    handleProcessExit: false,
    onError: (error) => errors.push(error),
    ...options,
  });
  agents.push(agent);
  return { agent, errors };
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('batching', () => {
  it('sends a request as soon as batchSize points are buffered', async () => {
    const { agent } = agentFor({ batchSize: 3 });
    for (let step = 0; step < 7; step++) agent.log('loss', step / 10, step);
    await server.waitForRequests(2);
    await new Promise((r) => setTimeout(r, 50));
    expect(server.requests.map((r) => r.lines.length)).toEqual([3, 3]);
    expect(agent.stats()).toMatchObject({ buffered: 1, sent: 6 });
    await agent.flush();
    expect(server.requests.map((r) => r.lines.length)).toEqual([3, 3, 1]);
    expect(server.points().map((p) => p.step)).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('sends what is buffered every flushIntervalMs', async () => {
    const { agent } = agentFor({ batchSize: 1000, flushIntervalMs: 40 });
    agent.log('loss', 1, 0);
    agent.log('acc', 0.5, 0);
    await server.waitForRequests(1);
    expect(server.requests[0]!.lines).toHaveLength(2);
    agent.log('loss', 0.9, 1);
    await server.waitForRequests(2);
    expect(server.requests[1]!.lines).toHaveLength(1);
    await expect.poll(() => agent.stats()).toEqual({ buffered: 0, sent: 3, failedBatches: 0, retries: 0 });
  });

  it('POSTs gzip NDJSON to /v1/metrics with the bearer key and an idempotency key', async () => {
    const { agent } = agentFor();
    agent.log('train/loss', 0.42, 10, { timestamp: '2026-01-02T03:04:05.000Z', tags: { k: 'v' } });
    agent.log('lr', 1e-4, 11, { timestamp: new Date(Date.UTC(2026, 0, 2)), runId: 'other-run' });
    await agent.flush();
    const [request] = server.requests;
    expect(request).toMatchObject({ method: 'POST', url: '/v1/metrics' });
    expect(request!.headers).toMatchObject({
      authorization: 'Bearer secret-key',
      'content-type': 'application/x-ndjson',
      'content-encoding': 'gzip',
    });
    expect(request!.headers['idempotency-key']).toMatch(/^[0-9a-f-]{36}$/);
    expect(request!.lines[0]).toBe(
      `{"runId":"${RUN_ID}","name":"train/loss","value":0.42,"step":10,"timestamp":"2026-01-02T03:04:05.000Z","tags":{"k":"v"}}`,
    );
    expect(request!.points[1]).toEqual({
      runId: 'other-run',
      name: 'lr',
      value: 1e-4,
      step: 11,
      timestamp: '2026-01-02T00:00:00.000Z',
      tags: {},
    });
  });

  it('keeps one request in flight at a time, in order', async () => {
    const hold = deferred();
    server.respond({ status: 200, body: { accepted: 2 }, hold: hold.promise });
    const { agent } = agentFor({ batchSize: 2 });
    for (let step = 0; step < 6; step++) agent.log('loss', step, step);
    await server.waitForRequests(1);
    await new Promise((r) => setTimeout(r, 50));
    expect(server.requests).toHaveLength(1);
    hold.resolve();
    await agent.flush();
    expect(server.points().map((p) => p.step)).toEqual([0, 1, 2, 3, 4, 5]);
  });
});

describe('retries', () => {
  it('retries 503 with the same Idempotency-Key and uses a new key for the next batch', async () => {
    server.respond({ status: 503 }, { status: 503 });
    const { agent, errors } = agentFor();
    agent.log('loss', 1, 0);
    await agent.flush();
    agent.log('loss', 2, 1);
    await agent.flush();
    const keys = server.requests.map((r) => r.headers['idempotency-key']);
    expect(keys).toHaveLength(4);
    expect(new Set(keys.slice(0, 3)).size).toBe(1);
    expect(keys[3]).not.toBe(keys[0]);
    expect(errors).toEqual([]);
    expect(agent.stats()).toEqual({ buffered: 0, sent: 2, failedBatches: 0, retries: 2 });
  });

  it('honours Retry-After on 429', async () => {
    server.respond({ status: 429, headers: { 'retry-after': '1' } });
    const { agent } = agentFor();
    agent.log('loss', 1, 0);
    await agent.flush();
    expect(server.requests).toHaveLength(2);
    expect(server.requests[1]!.at - server.requests[0]!.at).toBeGreaterThanOrEqual(950);
  });

  it('retries network errors', async () => {
    let calls = 0;
    const flaky: typeof fetch = (input, init) => {
      calls++;
      return calls === 1 ? Promise.reject(new TypeError('fetch failed')) : fetch(input, init);
    };
    const { agent } = agentFor({ fetch: flaky });
    agent.log('loss', 1, 0);
    await agent.flush();
    expect(calls).toBe(2);
    expect(server.points()).toHaveLength(1);
    expect(agent.stats().retries).toBe(1);
  });

  it('drops a batch after maxAttempts and surfaces it', async () => {
    server.respond({ status: 500 }, { status: 502 }, { status: 408 });
    const { agent, errors } = agentFor({ maxAttempts: 3 });
    agent.log('loss', 1, 0);
    const failure = await agent.flush().catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(MetricsBatchError);
    expect((failure as MetricsBatchError).failure).toBe('exhausted');
    expect(server.requests).toHaveLength(3);
    expect(errors).toEqual([failure]);
    expect(agent.stats()).toEqual({ buffered: 0, sent: 0, failedBatches: 1, retries: 2 });
  });

  it('does not retry 400: surfaces the line errors and drops only that batch', async () => {
    server.respond({ status: 400, body: { errors: [{ line: 1, reason: 'unknown run' }] } });
    const { agent, errors } = agentFor();
    agent.log('loss', 1, 0);
    const failure = (await agent.flush().catch((e: unknown) => e)) as MetricsBatchError;
    expect(failure).toBeInstanceOf(MetricsBatchError);
    expect(failure.failure).toBe('rejected');
    expect(failure.status).toBe(400);
    expect(failure.lineErrors).toEqual([{ line: 1, reason: 'unknown run' }]);
    expect(failure.message).toContain('line 1: unknown run');
    expect(errors).toEqual([failure]);
    expect(server.requests).toHaveLength(1);
    agent.log('loss', 2, 1);
    await agent.flush();
    expect(server.requests).toHaveLength(2);
    expect(agent.stats()).toEqual({ buffered: 0, sent: 1, failedBatches: 1, retries: 0 });
  });

  it.each([401, 403])('does not retry %i', async (status) => {
    server.respond({ status });
    const { agent, errors } = agentFor();
    agent.log('loss', 1, 0);
    await expect(agent.flush()).rejects.toMatchObject({ failure: 'unauthorized', status });
    expect(server.requests).toHaveLength(1);
    expect(errors).toHaveLength(1);
  });
});

describe('back-pressure', () => {
  it('log throws BackpressureError when full; logAsync waits and completes when the server answers', async () => {
    const hold = deferred();
    server.respond({ status: 200, body: { accepted: 4 }, hold: hold.promise });
    const { agent } = agentFor({ batchSize: 4, maxBufferedPoints: 4 });
    for (let step = 0; step < 4; step++) agent.log('loss', step, step);
    await server.waitForRequests(1);
    expect(agent.stats().buffered).toBe(4);
    expect(() => agent.log('loss', 4, 4)).toThrow(BackpressureError);
    expect(() => agent.log('loss', 4, 4)).toThrow(/logAsync.*maxBufferedPoints/);
    let done = false;
    const waiting = agent.logAsync('loss', 4, 4).then(() => {
      done = true;
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(done).toBe(false);
    hold.resolve();
    await waiting;
    await agent.close();
    expect(server.points().map((p) => p.step)).toEqual([0, 1, 2, 3, 4]);
  });

  it('logAsync ships far more points than the buffer holds, with bounded buffering', async () => {
    const { agent } = agentFor({ batchSize: 50, maxBufferedPoints: 100 });
    let maxBuffered = 0;
    for (let step = 0; step < 1000; step++) {
      await agent.logAsync('loss', step, step);
      maxBuffered = Math.max(maxBuffered, agent.stats().buffered);
    }
    await agent.flush();
    expect(maxBuffered).toBeLessThanOrEqual(100);
    expect(server.points().map((p) => p.step)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });
});

describe('flush and close', () => {
  it('close delivers everything, then refuses new points', async () => {
    const { agent } = agentFor({ batchSize: 7 });
    for (let step = 0; step < 20; step++) agent.log('loss', step, step);
    await agent.close();
    expect(server.points()).toHaveLength(20);
    expect(agent.stats()).toEqual({ buffered: 0, sent: 20, failedBatches: 0, retries: 0 });
    expect(() => agent.log('loss', 1, 21)).toThrow(AgentClosedError);
  });

  it('close also delivers the points of logAsync calls still waiting for room', async () => {
    const { agent } = agentFor({ batchSize: 2, maxBufferedPoints: 2 });
    const calls = Array.from({ length: 9 }, (_, step) => agent.logAsync('loss', step, step));
    await agent.close();
    await Promise.all(calls);
    expect(server.points().map((p) => p.step)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('flush with nothing buffered resolves without a request', async () => {
    const { agent } = agentFor();
    await agent.flush();
    expect(server.requests).toHaveLength(0);
  });
});

describe('validation', () => {
  it('throws TypeError on bad input, buffering nothing', () => {
    const { agent } = agentFor();
    expect(() => agent.log('bad name', 1, 0)).toThrow(TypeError);
    expect(() => agent.log('.hidden', 1, 0)).toThrow(TypeError);
    expect(() => agent.log('x'.repeat(201), 1, 0)).toThrow(TypeError);
    expect(() => agent.log('loss', Number.NaN, 0)).toThrow(/finite/);
    expect(() => agent.log('loss', Number.POSITIVE_INFINITY, 0)).toThrow(TypeError);
    expect(() => agent.log('loss', '1' as unknown as number, 0)).toThrow(TypeError);
    expect(() => agent.log('loss', 1, -1)).toThrow(/step/);
    expect(() => agent.log('loss', 1, 1.5)).toThrow(TypeError);
    expect(() => agent.log('loss', 1, 0, { timestamp: 'not a date' })).toThrow(/timestamp/);
    expect(() => agent.log('loss', 1, 0, { tags: { k: 1 as unknown as string } })).toThrow(/tag/);
    agent.log('x'.repeat(200), 1, 0);
    agent.log('_a.b/c-d', 0, 0);
    expect(agent.stats().buffered).toBe(2);
  });

  it('requires a runId from the agent or the call', () => {
    const { agent } = agentFor({ runId: undefined });
    expect(() => agent.log('loss', 1, 0)).toThrow(/runId/);
    agent.log('loss', 1, 0, { runId: RUN_ID });
  });
});

describe('backoff helpers', () => {
  it('full jitter stays within [0, min(cap, base * 2^(n-1))]', () => {
    expect(backoffDelay(1, 200, 30_000, () => 0.999)).toBe(199);
    expect(backoffDelay(4, 200, 30_000, () => 0.5)).toBe(800);
    expect(backoffDelay(20, 200, 30_000, () => 0.999)).toBe(29_970);
    expect(backoffDelay(3, 200, 30_000, () => 0)).toBe(0);
  });

  it('parses Retry-After seconds and dates', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
    const now = Date.UTC(2026, 0, 1);
    expect(parseRetryAfter(new Date(now + 3000).toUTCString(), now)).toBe(3000);
  });
});
