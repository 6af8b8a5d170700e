/**
 * Federated subscriptions through a real gateway over WebSocket: the metrics
 * subgraph streams points (chdb), the registry completes each event with the
 * run and experiment (embedded PostgreSQL).
 */

import { startTestMetrics, type TestMetrics } from '@lab/metrics/testing';
import type { Caller } from '@lab/shared';
import { createLogger } from '@lab/shared';
import { type Client, createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type RunningGateway, startGateway } from '../server';

let t: TestMetrics;
let gateway: RunningGateway;
const clients: Client[] = [];

const STREAM = `subscription Live($runId: ID!) {
  metricStream(runId: $runId) { name step value run { id name experiment { name } } }
}`;
const LOG = `mutation($runId: ID!, $points: [MetricPointInput!]!) { logMetrics(runId: $runId, points: $points) { accepted } }`;

interface Event {
  data?: {
    metricStream: { name: string; step: number; value: number; run: { id: string; name: string; experiment: { name: string } } };
  } | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

function connect(key: string | undefined): Client {
  const client = createClient({
    url: `${gateway.url.replace('http', 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: key ? { Authorization: `Bearer ${key}` } : {},
    retryAttempts: 0,
  });
  clients.push(client);
  return client;
}

const stream = (client: Client, runId: string, query = STREAM) =>
  client.iterate({ query, variables: { runId } }) as AsyncIterableIterator<Event>;

async function eventually(check: () => boolean, ms = 20_000) {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function log(runId: string, steps: number[]) {
  const result = await t.gql(t.editor, LOG, {
    runId,
    points: steps.map((step) => ({ name: 'loss', value: 1 / (step + 1), step })),
  });
  expect(result.errors).toBeUndefined();
}

beforeAll(async () => {
  t = await startTestMetrics('gateway-subscriptions');
  const keys: Record<string, Caller> = { viewer: t.viewer, editor: t.editor, stranger: t.stranger };
  gateway = await startGateway(
    {
      config: {
        internalSecret: t.secret,
        adminApiKey: undefined,
        subgraphUrls: { registry: t.registryUrl, metrics: `${t.metrics.url}/graphql`, artifacts: 'http://127.0.0.1:9/graphql' },
      },
      log: createLogger('gateway-subscriptions-test', { logLevel: 'silent', logFormat: 'json' }),
      authenticator: { authenticate: async (key) => keys[key] },
    },
    0,
    '127.0.0.1',
  );
}, 120_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.dispose()));
  await gateway?.close();
  await t?.stop();
});

describe('federated subscriptions', () => {
  it('streams points with the run and experiment completed from the registry', async () => {
    const runId = await t.newRun('federated');
    const events = stream(connect('viewer'), runId);
    const first = events.next();
    await eventually(() => t.metrics.streams.size === 1);
    await log(runId, [0, 1]);
    const got = [(await first).value as Event, (await events.next()).value as Event];
    expect(got.map((e) => e.errors)).toEqual([undefined, undefined]);
    expect(got.map((e) => e.data?.metricStream)).toEqual([
      { name: 'loss', step: 0, value: 1, run: { id: runId, name: 'federated', experiment: { name: 'exp' } } },
      { name: 'loss', step: 1, value: 0.5, run: { id: runId, name: 'federated', experiment: { name: 'exp' } } },
    ]);
    await events.return?.();
    await eventually(() => t.metrics.subscriptions.active === 0 && gateway.subscriptions.upstream.active === 0);
  });

  it('identical subscriptions share one upstream subscription, and leaving releases it and its socket', async () => {
    const runId = await t.newRun('shared');
    const a = connect('viewer');
    const b = connect('viewer');
    const streams = [stream(a, runId), stream(a, runId), stream(b, runId)];
    const firsts = streams.map((s) => s.next());
    await eventually(() => gateway.subscriptions.topics.clients === 3);
    await eventually(() => t.metrics.subscriptions.active === 1);
    expect(gateway.subscriptions.topics.size).toBe(1);
    expect(gateway.subscriptions.upstream.active).toBe(1);
    await log(runId, [7]);
    for (const first of firsts)
      expect((await first).value?.data?.metricStream).toMatchObject({ step: 7, run: { name: 'shared' } });
    await a.dispose();
    await eventually(() => gateway.subscriptions.topics.clients === 1);
    expect(t.metrics.subscriptions.active).toBe(1);
    await b.dispose();
    await eventually(() => gateway.subscriptions.topics.size === 0);
    await eventually(() => t.metrics.subscriptions.active === 0 && t.metrics.subscriptions.sockets === 0);
    expect(gateway.subscriptions.upstream.active).toBe(0);
    expect(t.metrics.streams.size).toBe(0);
  });

  it('a caller who may not read the run gets NOT_FOUND naming nothing else', async () => {
    const runId = await t.newRun('hidden');
    const denied = await stream(connect('stranger'), runId).next();
    expect(denied.value?.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND' });
    await eventually(() => gateway.subscriptions.topics.size === 0 && t.metrics.subscriptions.active === 0);
  });

  it('refuses a socket with bad credentials, an operation without any, and an invalid subscription', async () => {
    const runId = await t.newRun('refused');
    await expect(stream(connect('nobody'), runId).next()).rejects.toMatchObject({ code: 4403 });
    const anonymous = connect(undefined);
    await expect(stream(anonymous, runId).next()).rejects.toSatisfy(
      (errors: unknown) =>
        Array.isArray(errors) && (errors[0] as { extensions?: { code?: string } }).extensions?.code === 'UNAUTHENTICATED',
    );
    // GraphiQL's way: no credentials at connection_init, its headers with each operation.
    const graphiql = anonymous.iterate({
      query: 'query($id: ID!) { run(id: $id) { name } }',
      variables: { id: runId },
      extensions: { headers: { Authorization: 'Bearer viewer' } },
    });
    expect(((await graphiql.next()).value as { data?: { run: { name: string } } }).data?.run.name).toBe('refused');
    const invalid = stream(connect('viewer'), runId, 'subscription($runId: ID!) { metricStream(runId: $runId) { nope } }');
    await expect(invalid.next()).rejects.toSatisfy(
      (errors: unknown) =>
        Array.isArray(errors) && (errors[0] as { extensions?: { code?: string } }).extensions?.code === 'BAD_USER_INPUT',
    );
  });

  it('applies the operation limits to subscription documents', async () => {
    const runId = await t.newRun('limits');
    const aliases = Array.from({ length: 31 }, (_, i) => `a${i}: name`).join(' ');
    const [refused] = await Promise.all([
      stream(connect('viewer'), runId, `subscription($runId: ID!) { metricStream(runId: $runId) { ${aliases} } }`).next(),
    ]);
    expect(refused.value?.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      limit: 'aliases',
      actual: 31,
      max: 30,
    });
    expect(t.metrics.subscriptions.active).toBe(0);
  });

  it('runs queries over the same socket through the HTTP path', async () => {
    const runId = await t.newRun('query-over-ws');
    const result = (await connect('viewer')
      .iterate({ query: 'query($id: ID!) { run(id: $id) { name } }', variables: { id: runId } })
      .next()) as IteratorResult<{ data?: { run: { name: string } } }>;
    expect(result.value?.data?.run.name).toBe('query-over-ws');
  });
});
