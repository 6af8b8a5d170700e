/**
 * Subscription.metricStream over graphql-ws on the metrics subgraph, fed by
 * both ingest paths, with the gateway's signatures made here.
 */
import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { type Caller, CONTEXT_HEADER, INGEST_SIGNED_DOCUMENT, SUBSCRIPTION_CONNECTION_DOCUMENT, signContext } from '@lab/shared';
import { type Client, createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestMetrics, type TestMetrics } from '../testing/testMetrics';

let t: TestMetrics;
let client: Client;
const gateway: Caller = { id: 'gateway', kind: 'service', scopes: ['*'] };

const STREAM = `subscription($runId: ID!, $names: [String!]) {
  metricStream(runId: $runId, names: $names) { runId run { id } name step value timestamp tags { key value } skipped }
}`;
const LOG = `mutation($runId: ID!, $points: [MetricPointInput!]!) { logMetrics(runId: $runId, points: $points) { accepted } }`;

interface StreamEvent {
  data?: { metricStream: { runId: string; name: string; step: number; value: number; skipped: number } } | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

function connect(connectionParams: Record<string, unknown>): Client {
  return createClient({
    url: `${t.metrics.url.replace('http', 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams,
    retryAttempts: 0,
  });
}

/** Subscribes as `caller`, signing the subscription as the gateway does. */
function subscribe(c: Client, caller: Caller, variables: Record<string, unknown>, query = STREAM) {
  return c.iterate<StreamEvent['data']>({
    query,
    variables,
    extensions: { [CONTEXT_HEADER]: signContext(t.secret, { requestId: randomUUID(), caller, query }) },
  }) as AsyncIterableIterator<StreamEvent>;
}

async function eventually(check: () => boolean | Promise<boolean>, ms = 20_000) {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Waits until the hub has `n` subscribers (the subscription is live). */
const subscribed = (n: number) => eventually(() => t.metrics.streams.size === n);

async function ndjson(caller: Caller, lines: object[]) {
  const res = await fetch(`${t.metrics.url}/v1/metrics`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-ndjson',
      'content-encoding': 'gzip',
      [CONTEXT_HEADER]: signContext(t.secret, { requestId: randomUUID(), caller, query: INGEST_SIGNED_DOCUMENT }),
    },
    body: gzipSync(lines.map((l) => JSON.stringify(l)).join('\n')),
  });
  expect(res.status).toBe(200);
}

beforeAll(async () => {
  t = await startTestMetrics('stream');
  client = connect({
    [CONTEXT_HEADER]: signContext(t.secret, {
      requestId: randomUUID(),
      caller: gateway,
      query: SUBSCRIPTION_CONNECTION_DOCUMENT,
    }),
  });
}, 120_000);

afterAll(async () => {
  await client?.dispose();
  await t?.stop();
});

describe('Subscription.metricStream', () => {
  it('streams points logged through logMetrics and POST /v1/metrics, per metric in step order, filtered by name', async () => {
    const runId = await t.newRun('live');
    const events = subscribe(client, t.viewer, { runId, names: ['loss', 'acc'] });
    const first = events.next();
    await subscribed(1);
    const logged = await t.gql(t.editor, LOG, {
      runId,
      points: [
        { name: 'loss', value: 0.5, step: 2, tags: [{ key: 'split', value: 'train' }] },
        { name: 'loss', value: 0.9, step: 1 },
        { name: 'lr', value: 0.1, step: 1 },
      ],
    });
    expect(logged.errors).toBeUndefined();
    await ndjson(t.editor, [
      { runId, name: 'acc', value: 0.25, step: 3 },
      { runId, name: 'loss', value: 0.3, step: 3 },
    ]);
    const got = [(await first).value as StreamEvent];
    for (let i = 0; i < 3; i++) got.push((await events.next()).value as StreamEvent);
    expect(got.map((e) => e.errors)).toEqual([undefined, undefined, undefined, undefined]);
    expect(got.map((e) => [e.data?.metricStream.name, e.data?.metricStream.step])).toEqual([
      ['loss', 1],
      ['loss', 2],
      ['acc', 3],
      ['loss', 3],
    ]);
    expect(got[1]?.data?.metricStream).toMatchObject({
      runId,
      run: { id: runId },
      value: 0.5,
      skipped: 0,
      tags: [{ key: 'split', value: 'train' }],
    });
    await events.return?.();
    await subscribed(0);
    await eventually(() => t.metrics.streams.size === 0 && t.metrics.subscriptions.active === 0);
  });

  it('a caller who may not read the run gets NOT_FOUND; a bad names list gets BAD_USER_INPUT', async () => {
    const runId = await t.newRun('private');
    const denied = await subscribe(client, t.stranger, { runId }).next();
    expect(denied.value?.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const bad = await subscribe(client, t.viewer, { runId, names: ['../etc'] }).next();
    expect(bad.value?.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(t.metrics.streams.size).toBe(0);
  });

  it('refuses a subscription not signed for its document, and a socket not signed by the gateway', async () => {
    const runId = await t.newRun('unsigned');
    const forged = client.iterate({
      query: STREAM,
      variables: { runId },
      extensions: {
        [CONTEXT_HEADER]: signContext(t.secret, { requestId: randomUUID(), caller: t.viewer, query: '{ other }' }),
      },
    });
    await expect(forged.next()).rejects.toSatisfy(
      (errors: unknown) =>
        Array.isArray(errors) && (errors[0] as { extensions?: { code?: string } })?.extensions?.code === 'UNAUTHENTICATED',
    );
    const stranger = connect({ [CONTEXT_HEADER]: 'not-a-signature' });
    await expect(subscribe(stranger, t.viewer, { runId }).next()).rejects.toMatchObject({ code: 4403 });
    await stranger.dispose();
  });

  it('a client that disconnects releases its subscription', async () => {
    const runId = await t.newRun('leaving');
    const other = connect({
      [CONTEXT_HEADER]: signContext(t.secret, {
        requestId: randomUUID(),
        caller: gateway,
        query: SUBSCRIPTION_CONNECTION_DOCUMENT,
      }),
    });
    const events = subscribe(other, t.viewer, { runId });
    void events.next().catch(() => {});
    await subscribed(1);
    await other.dispose();
    await subscribed(0);
    await eventually(() => t.metrics.subscriptions.active === 0);
  });
});
