/**
 * GET /metrics and API usage in one process: stand-in subgraphs (the metrics
 * one also takes usage batches, as the real one does) behind a real gateway.
 */
import {
  API_USAGE_PATH,
  API_USAGE_SIGNED_DOCUMENT,
  type ApiUsageBatch,
  type ApiUsageRecord,
  CONTEXT_HEADER,
  type RunningServer,
  verifyContext,
} from '@lab/shared';
import { startSubgraph } from '@lab/shared/subgraph';
import express from 'express';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeSupergraph } from '../compose/compose';
import { standIns } from '../compose/standIns.fixture';
import { BOOTSTRAP_ADMIN_ID, STORE_OWNERS, type SubgraphName } from '../constants';
import { type RunningGateway, startGateway } from '../server';
import { BoundedLabel, countRateLimited, GatewayMetrics, trackSubscription } from './gatewayMetrics';

const log = pino({ level: 'silent' });
const SECRET = 'm'.repeat(32);
const KEY = 'admin-key-0123456789abcdef';
const TOKEN = 'scrape-token-0123456789';
const supergraphSdl = composeSupergraph(standIns()).supergraphSdl as string;
const storeOf = (name: SubgraphName) => Object.entries(STORE_OWNERS).find(([, owner]) => owner === name)?.[0] as string;

const subgraphs: RunningServer[] = [];
const urls = {} as Record<SubgraphName, string>;
const usage: ApiUsageRecord[] = [];
let gateway: RunningGateway;

async function post(body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${gateway.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}`, ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, ...((await response.json()) as { data?: unknown; errors?: unknown[] }) };
}

async function scrape(): Promise<string> {
  const response = await fetch(`${gateway.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(response.status).toBe(200);
  return response.text();
}

/** The value of the sample `name` whose labels include `labels` (0 when absent). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return 0;
}

beforeAll(async () => {
  for (const { name, typeDefs } of standIns()) {
    const running = await startSubgraph(
      {
        name,
        typeDefs,
        log,
        internalSecret: SECRET,
        health: { [storeOf(name)]: async () => undefined },
        resolvers: {
          Query: {
            me: () => ({ id: BOOTSTRAP_ADMIN_ID, email: 'a@lab.test', name: 'a', isAdmin: true, createdAt: '2026-01-01' }),
            registryStatus: () => {
              throw new Error('boom');
            },
            metricsStatus: () => ({ service: 'metrics', store: 'clickhouse', serverVersion: '1', latencyMs: 1 }),
          },
        },
        routes:
          name === 'metrics'
            ? (app) =>
                app.post(API_USAGE_PATH, express.json(), (req, res) => {
                  const header = req.headers[CONTEXT_HEADER];
                  const verdict = verifyContext(
                    SECRET,
                    typeof header === 'string' ? header : undefined,
                    API_USAGE_SIGNED_DOCUMENT,
                  );
                  if (!verdict.ok) return void res.status(401).json({});
                  usage.push(...(req.body as ApiUsageBatch).records);
                  res.json({ stored: (req.body as ApiUsageBatch).records.length });
                })
            : undefined,
      },
      0,
      '127.0.0.1',
    );
    subgraphs.push(running);
    urls[name] = `${running.url}/graphql`;
  }
  gateway = await startGateway(
    {
      config: { internalSecret: SECRET, adminApiKey: KEY, subgraphUrls: urls, metricsToken: TOKEN },
      log,
      supergraphSdl,
      apiUsage: { flushIntervalMs: 20 },
    },
    0,
    '127.0.0.1',
  );
});

afterAll(async () => {
  await gateway?.close();
  await Promise.all(subgraphs.map((s) => s.close()));
});

describe('GET /metrics', () => {
  it('answers only the scrape token: 401 otherwise, never for an API key', async () => {
    for (const authorization of [undefined, `Bearer ${KEY}`, 'Bearer wrong', TOKEN]) {
      const response = await fetch(`${gateway.url}/metrics`, { headers: authorization ? { authorization } : {} });
      expect(response.status, authorization).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
    }
    const response = await fetch(`${gateway.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    for (const name of ['process_cpu_seconds_total', 'nodejs_eventloop_lag_seconds', 'lab_gateway_active_subscriptions']) {
      expect(text).toContain(`# TYPE ${name} `);
    }
  });

  it('is off (404) when no token is configured', async () => {
    const other = await startGateway(
      { config: { internalSecret: SECRET, adminApiKey: KEY, subgraphUrls: urls }, log, supergraphSdl, apiUsage: false },
      0,
      '127.0.0.1',
    );
    try {
      const response = await fetch(`${other.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(response.status).toBe(404);
      expect(((await response.json()) as { message: string }).message).toMatch(/LAB_METRICS_TOKEN/);
    } finally {
      await other.close();
    }
  });

  it('counts and times operations by name and type, errors by code, and fetches per subgraph', async () => {
    const before = await scrape();
    expect((await post({ query: 'query Me { me { id } }' })).status).toBe(200);
    expect((await post({ query: 'query Me { me { id } }' })).status).toBe(200);
    const failed = await post({ query: 'query Status { registryStatus { store } metricsStatus { store } }' });
    expect(failed.errors).toHaveLength(1);
    await post({ query: '{ me { id } }' }, { authorization: 'Bearer nope' });
    const after = await scrape();
    const delta = (name: string, labels: Record<string, string>) => sample(after, name, labels) - sample(before, name, labels);

    expect(delta('lab_gateway_operations_total', { operation: 'Me', type: 'query' })).toBe(2);
    expect(delta('lab_gateway_operation_duration_seconds_count', { operation: 'Me', type: 'query' })).toBe(2);
    expect(delta('lab_gateway_operation_duration_seconds_bucket', { operation: 'Me', type: 'query', le: '+Inf' })).toBe(2);
    expect(delta('lab_gateway_operation_errors_total', { operation: 'Me' })).toBe(0);
    expect(delta('lab_gateway_operation_errors_total', { operation: 'Status', type: 'query', code: 'INTERNAL' })).toBe(1);
    // Refused before Apollo: no operation known, the code from the HTTP status.
    expect(
      delta('lab_gateway_operation_errors_total', { operation: 'anonymous', type: 'unknown', code: 'UNAUTHENTICATED' }),
    ).toBe(1);
    expect(delta('lab_gateway_subgraph_requests_total', { subgraph: 'registry' })).toBe(3);
    expect(delta('lab_gateway_subgraph_requests_total', { subgraph: 'metrics' })).toBe(1);
    expect(delta('lab_gateway_subgraph_errors_total', { subgraph: 'registry', code: 'INTERNAL' })).toBe(1);
    expect(delta('lab_gateway_subgraph_request_duration_seconds_count', { subgraph: 'metrics' })).toBe(1);
  });

  it('counts an unreachable subgraph as SERVICE_UNAVAILABLE', async () => {
    const broken = await startGateway(
      {
        config: { internalSecret: SECRET, adminApiKey: KEY, subgraphUrls: { ...urls, metrics: 'http://127.0.0.1:9/graphql' } },
        log,
        supergraphSdl,
        apiUsage: false,
      },
      0,
      '127.0.0.1',
    );
    try {
      const before = sample(await scrape(), 'lab_gateway_subgraph_errors_total', {
        subgraph: 'metrics',
        code: 'SERVICE_UNAVAILABLE',
      });
      const response = await fetch(`${broken.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
        body: JSON.stringify({ query: '{ me { id } metricsStatus { store } }' }),
      });
      // The error sits at the field the subgraph would have filled (execution/unavailableFields.ts).
      const body = (await response.json()) as { errors?: { path?: unknown; extensions?: unknown }[] };
      expect(body.errors).toEqual([
        expect.objectContaining({
          path: ['metricsStatus'],
          extensions: expect.objectContaining({ code: 'SERVICE_UNAVAILABLE', service: 'metrics', serviceName: 'metrics' }),
        }),
      ]);
      // One registry per process: the broken gateway's fetch shows in the same /metrics.
      const after = sample(await scrape(), 'lab_gateway_subgraph_errors_total', {
        subgraph: 'metrics',
        code: 'SERVICE_UNAVAILABLE',
      });
      expect(after - before).toBe(1);
    } finally {
      await broken.close();
    }
  });

  it('shows the gauges and counters other behaviours update', async () => {
    const before = await scrape();
    const end = trackSubscription();
    trackSubscription();
    countRateLimited();
    const during = await scrape();
    expect(sample(during, 'lab_gateway_active_subscriptions') - sample(before, 'lab_gateway_active_subscriptions')).toBe(2);
    expect(sample(during, 'lab_gateway_rate_limited_total') - sample(before, 'lab_gateway_rate_limited_total')).toBe(1);
    end();
    end(); // once only
    expect(sample(await scrape(), 'lab_gateway_active_subscriptions') - sample(before, 'lab_gateway_active_subscriptions')).toBe(
      1,
    );
  });
});

describe('operation label cardinality', () => {
  it('keeps the first names and folds the rest into "other"', async () => {
    const label = new BoundedLabel(2);
    expect(['A', 'B', 'C', 'A', 'D'].map((n) => label.of(n))).toEqual(['A', 'B', 'other', 'A', 'other']);
    const metrics = new GatewayMetrics({ maxOperationNames: 3, processMetrics: false });
    for (let i = 0; i < 1000; i++) {
      metrics.observeOperation({ operationName: `Op${i}`, operationType: 'query', seconds: 0.01, errorCodes: ['NOPE'] });
    }
    const text = await metrics.text();
    const series = text.split('\n').filter((l) => l.startsWith('lab_gateway_operations_total{'));
    expect(series).toHaveLength(4);
    expect(sample(text, 'lab_gateway_operations_total', { operation: 'other' })).toBe(997);
    expect(sample(text, 'lab_gateway_operation_errors_total', { operation: 'Op0', code: 'other' })).toBe(1);
  });
});

describe('API usage', () => {
  it('sends one record per authenticated operation to the metrics subgraph, in batches', async () => {
    const ids = ['usage-1', 'usage-2', 'usage-3'];
    await post({ query: 'query Me { me { id } }' }, { 'x-request-id': ids[0] as string });
    await post(
      { query: 'query Status { registryStatus { store } metricsStatus { store } }' },
      { 'x-request-id': ids[1] as string },
    );
    await post({ query: '{ nope }' }, { 'x-request-id': ids[2] as string });
    await post({ query: '{ me { id } }' }, { 'x-request-id': 'usage-unauthenticated', authorization: 'Bearer nope' });
    const deadline = Date.now() + 5000;
    while (usage.filter((r) => ids.includes(r.requestId)).length < 3 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const byId = new Map(usage.map((r) => [r.requestId, r]));
    expect(byId.get('usage-1')).toMatchObject({
      callerId: BOOTSTRAP_ADMIN_ID,
      operationName: 'Me',
      operationType: 'query',
      status: 'ok',
      errorCode: '',
    });
    expect(byId.get('usage-1')?.durationMs).toBeGreaterThan(0);
    // registryStatus is non-null: its error voids data, so the operation is an error, not partial.
    expect(byId.get('usage-2')).toMatchObject({ operationName: 'Status', status: 'error', errorCode: 'INTERNAL' });
    expect(byId.get('usage-3')).toMatchObject({
      operationName: '',
      operationType: 'unknown',
      status: 'error',
      errorCode: 'BAD_USER_INPUT',
    });
    expect(byId.has('usage-unauthenticated')).toBe(false);
    const text = await scrape();
    expect(sample(text, 'lab_gateway_api_usage_records_sent_total')).toBeGreaterThanOrEqual(3);
  });

  it('records an operation refused by the limits before validation under its caller, counted with its code', async () => {
    const fragments = Array.from(
      { length: 29 },
      (_, i) => `fragment F${i} on User { ${i < 28 ? `...F${i + 1} ...F${i + 1}` : 'id'} }`,
    );
    const res = await post(
      { query: `query Bomb { me { ...F0 } } ${fragments.join(' ')}`, operationName: 'Bomb' },
      { 'x-request-id': 'usage-refused' },
    );
    expect(res.status).toBe(400);
    const deadline = Date.now() + 5000;
    while (!usage.some((r) => r.requestId === 'usage-refused') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    expect(usage.find((r) => r.requestId === 'usage-refused')).toMatchObject({
      callerId: BOOTSTRAP_ADMIN_ID,
      operationName: 'Bomb',
      operationType: 'unknown',
      status: 'error',
      errorCode: 'BAD_USER_INPUT',
    });
    const labels = { operation: 'Bomb', type: 'unknown', code: 'BAD_USER_INPUT' };
    expect(sample(await scrape(), 'lab_gateway_operation_errors_total', labels)).toBe(1);
  });
});
