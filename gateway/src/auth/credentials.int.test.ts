/**
 * Credentials at the gateway over a real registry (embedded PostgreSQL) and a
 * real metrics subgraph (chdb), the gateway in-process with a clock the tests
 * move: a key is refused the second it expires over HTTP, POST /v1/metrics
 * and WebSocket (its socket closing with 4403 and its subscription ending);
 * a JWT likewise; a revoked key's socket closes at the next re-check; an
 * unknown key repeated costs one registry lookup; failed authentications
 * from one address are cut to 429 after their burst.
 */
import { startTestMetrics, type TestMetrics } from '@lab/metrics/testing';
import { createLogger, loadConfig } from '@lab/shared';
import { type Client, createClient } from 'graphql-ws';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { gatewayMetrics } from '../observability/gatewayMetrics';
import { type RunningGateway, startGateway } from '../server';

const ADMIN = 'admin-key-0123456789abcdef';
const JWT_SECRET = 'j'.repeat(32);
const CREATE_KEY = 'mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { secret apiKey { id expiresAt } } }';
const STREAM = 'subscription($runId: ID!) { metricStream(runId: $runId) { step } }';
const LOG = 'mutation($r: ID!, $p: [MetricPointInput!]!) { logMetrics(runId: $r, points: $p) { accepted } }';
const log = createLogger('gateway-credentials-test', { logLevel: 'silent', logFormat: 'json' });

interface Closed {
  code: number;
  reason: string;
}

let t: TestMetrics;
const gateways: RunningGateway[] = [];
const clients: Client[] = [];
/** The gateway's clock: real time plus an offset the tests move. */
const clock = { offset: 0, now: () => Date.now() + clock.offset };

async function gateway(protection: Record<string, string> = {}): Promise<RunningGateway> {
  const config = loadConfig({ LAB_INTERNAL_SECRET: t.secret, ...protection });
  const running = await startGateway(
    {
      config: {
        internalSecret: t.secret,
        adminApiKey: ADMIN,
        subgraphUrls: { registry: t.registryUrl, metrics: `${t.metrics.url}/graphql`, artifacts: 'http://127.0.0.1:9/graphql' },
        protection: config.protection,
        jwt: {
          secret: JWT_SECRET,
          jwksUrl: undefined,
          jwksFile: undefined,
          issuer: 'https://login.lab.test',
          audience: ['lab'],
          clockToleranceSeconds: 0,
        },
      },
      log,
      apiUsage: false,
      now: clock.now,
      keyRecheckIntervalMs: 0, // re-checks when a test asks (apiKeys.revalidate)
    },
    0,
    '127.0.0.1',
  );
  gateways.push(running);
  return running;
}

async function post(g: RunningGateway, key: string, query: string, variables?: Record<string, unknown>) {
  const response = await fetch(`${g.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: Record<string, unknown>; errors?: { extensions?: { code?: string } }[] };
  return { status: response.status, headers: response.headers, ...body };
}

async function ingest(g: RunningGateway, key: string, runId: string) {
  const response = await fetch(`${g.url}/v1/metrics`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-ndjson' },
    body: `${JSON.stringify({ runId, name: 'loss', value: 1, step: 1 })}\n`,
  });
  await response.arrayBuffer();
  return response;
}

/** A key of the editor's, made by the admin through the gateway. */
async function editorKey(g: RunningGateway, expiresAt?: Date) {
  const made = await post(g, ADMIN, CREATE_KEY, {
    i: { name: `key ${Math.random()}`, userId: t.editor.id, ...(expiresAt ? { expiresAt: expiresAt.toISOString() } : {}) },
  });
  expect(made.errors).toBeUndefined();
  return (made.data as { createApiKey: { secret: string } }).createApiKey.secret;
}

function socket(g: RunningGateway, key: string | undefined): { client: Client; closed: Promise<Closed> } {
  let resolve: (closed: Closed) => void = () => {};
  const closed = new Promise<Closed>((r) => {
    resolve = r;
  });
  const client = createClient({
    url: `${g.url.replace('http', 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: key ? { Authorization: `Bearer ${key}` } : {},
    retryAttempts: 0,
    on: { closed: (event) => resolve(event as Closed) },
  });
  clients.push(client);
  return { client, closed };
}

/** Subscribes to the run over the client and waits until the metrics subgraph holds the subscription; `ended` settles with how it ended. */
async function subscribed(client: Client, runId: string): Promise<{ ended: Promise<unknown> }> {
  const before = t.metrics.subscriptions.active;
  const events = client.iterate({ query: STREAM, variables: { runId } });
  const ended = (async () => {
    for await (const _ of events);
    return 'completed';
  })().catch((err: unknown) => err);
  await until(() => t.metrics.subscriptions.active > before);
  return { ended };
}

async function until(check: () => boolean, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function lookups(): Promise<number> {
  const metric = await gatewayMetrics.registry.getSingleMetric('lab_gateway_api_key_lookups_total')?.get();
  return metric?.values.find((v) => v.labels.kind === 'authenticate')?.value ?? 0;
}

beforeAll(async () => {
  t = await startTestMetrics('gateway-credentials');
}, 120_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.dispose()));
  for (const g of gateways) await g.close();
  await t?.stop();
});

describe('expiry, to the second', () => {
  let g: RunningGateway;
  beforeAll(async () => {
    g = await gateway();
  });

  it('refuses a cached key over HTTP and POST /v1/metrics from the second its expiresAt passes', async () => {
    clock.offset = 0;
    const runId = await t.newRun('expiring-http');
    const expiresAt = new Date(Math.ceil(Date.now() / 1000) * 1000 + 3_600_000);
    const key = await editorKey(g, expiresAt);
    expect((await post(g, key, '{ me { id } }')).status).toBe(200);
    expect((await ingest(g, key, runId)).status).toBe(200);
    clock.offset = expiresAt.getTime() - Date.now() - 1_000; // a second before: still good
    expect((await post(g, key, '{ me { id } }')).status).toBe(200);
    clock.offset = expiresAt.getTime() - Date.now();
    const refused = await post(g, key, '{ me { id } }');
    expect(refused.status).toBe(401);
    expect(refused.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect((await ingest(g, key, runId)).status).toBe(401);
    clock.offset = 0;
  });

  it('closes a socket with 4403 when its key expires, ending its subscription and refusing operations over it', async () => {
    clock.offset = 0;
    const runId = await t.newRun('expiring-socket');
    const expiresAt = new Date(Date.now() + 3_600_000);
    const key = await editorKey(g, expiresAt);
    const live = socket(g, key);
    const { ended } = await subscribed(live.client, runId);
    const query = live.client.iterate({ query: 'query($id: ID!) { run(id: $id) { name } }', variables: { id: runId } });
    expect(((await query.next()).value as { data?: unknown }).data).toEqual({ run: { name: 'expiring-socket' } });

    clock.offset = expiresAt.getTime() - Date.now();
    const refused = await live.client
      .iterate({ query: 'query($id: ID!) { run(id: $id) { name } }', variables: { id: runId } })
      .next()
      .catch((err: unknown) => err);
    expect(refused).toSatisfy(
      (e: unknown) =>
        (Array.isArray(e) && (e[0] as { extensions?: { code?: string } }).extensions?.code === 'UNAUTHENTICATED') ||
        (e as Closed).code === 4403,
    );
    expect((await live.closed).code).toBe(4403);
    expect(await ended).toMatchObject({ code: 4403 });
    await until(() => t.metrics.subscriptions.active === 0);
    clock.offset = 0;
  });

  it('closes a socket with 4403 when its JWT expires', async () => {
    clock.offset = 0;
    const runId = await t.newRun('expiring-jwt');
    const exp = Math.floor(Date.now() / 1000) + 600;
    const token = await new SignJWT({ scope: 'read' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('https://login.lab.test')
      .setAudience('lab')
      .setSubject(t.viewer.id)
      .setIssuedAt()
      .setExpirationTime(exp)
      .sign(new TextEncoder().encode(JWT_SECRET));
    expect((await post(g, token, '{ me { id } }')).status).toBe(200);
    const live = socket(g, token);
    const { ended } = await subscribed(live.client, runId);
    clock.offset = exp * 1000 - Date.now();
    expect((await live.closed).code).toBe(4403);
    expect(await ended).toMatchObject({ code: 4403 });
    expect((await post(g, token, '{ me { id } }')).status).toBe(401);
    clock.offset = 0;
  });
});

describe('revocation', () => {
  it("closes a revoked key's socket with 4403 at the next re-check and refuses operations carrying it", async () => {
    const g = await gateway();
    const runId = await t.newRun('revoked-socket');
    const made = await post(g, ADMIN, CREATE_KEY, { i: { name: 'to revoke', userId: t.editor.id } });
    const { secret, apiKey } = (made.data as { createApiKey: { secret: string; apiKey: { id: string } } }).createApiKey;
    const live = socket(g, secret);
    const { ended } = await subscribed(live.client, runId);
    const graphiql = socket(g, undefined);
    const mutate = () =>
      graphiql.client
        .iterate({
          query: LOG,
          variables: { r: runId, p: [{ name: 'loss', value: 1, step: 1 }] },
          extensions: { headers: { Authorization: `Bearer ${secret}` } },
        })
        .next()
        .then(
          (r) => r.value,
          (err: unknown) => ({ refused: err }),
        );
    expect(await mutate()).toMatchObject({ data: { logMetrics: { accepted: 1 } } });

    expect(
      (await post(g, ADMIN, 'mutation($id: ID!) { revokeApiKey(id: $id) { id } }', { id: apiKey.id })).errors,
    ).toBeUndefined();
    await g.apiKeys?.revalidate();
    expect((await live.closed).code).toBe(4403);
    expect(await ended).toMatchObject({ code: 4403 });
    await until(() => t.metrics.subscriptions.active === 0);
    expect(await mutate()).toMatchObject({ refused: [{ extensions: { code: 'UNAUTHENTICATED' } }] });
    expect((await post(g, secret, '{ me { id } }')).status).toBe(401);
  });
});

describe('unknown keys', () => {
  it('remembers an unknown key briefly: repeating it costs one registry lookup', async () => {
    const g = await gateway();
    const unknown = `lab_Unknown1_${'u'.repeat(40)}`;
    const before = await lookups();
    for (let i = 0; i < 10; i++) expect((await post(g, unknown, '{ me { id } }')).status).toBe(401);
    expect((await lookups()) - before).toBe(1);
    clock.offset += 3_000;
    expect((await post(g, unknown, '{ me { id } }')).status).toBe(401);
    expect((await lookups()) - before).toBe(2);
    clock.offset = 0;
  });

  it('answers an address past its failed authentications 429 with Retry-After, on every path, without a lookup', async () => {
    const g = await gateway({ GATEWAY_AUTH_FAILURE_BURST: '3', GATEWAY_AUTH_FAILURES_PER_SECOND: '0.2' });
    const runId = await t.newRun('flooded');
    const good = await editorKey(g);
    expect((await post(g, good, '{ me { id } }')).status).toBe(200);
    const before = await lookups();
    for (let i = 0; i < 3; i++) expect((await post(g, `lab_Flood00${i}_${'f'.repeat(40)}`, '{ me { id } }')).status).toBe(401);
    const limited = await post(g, `lab_Flood003_${'f'.repeat(40)}`, '{ me { id } }');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('5');
    expect(limited.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfter: 5 });
    const ingestLimited = await ingest(g, `lab_Flood004_${'f'.repeat(40)}`, runId);
    expect(ingestLimited.status).toBe(429);
    expect(ingestLimited.headers.get('retry-after')).toBe('5');
    const refusedSocket = socket(g, `lab_Flood005_${'f'.repeat(40)}`);
    const attempt = refusedSocket.client.iterate({ query: STREAM, variables: { runId } }).next();
    expect(await attempt.catch((err: unknown) => err)).toMatchObject({ code: 4429 });
    expect((await refusedSocket.closed).code).toBe(4429);
    expect((await lookups()) - before).toBe(3);
    // A key the gateway already knows keeps working from the same address.
    expect((await post(g, good, '{ me { id } }')).status).toBe(200);
  });
});
