/**
 * The gateway end to end in one process: stand-in subgraphs (the shared
 * subgraph shell, no stores) behind a real gateway on free ports.
 */
import { REDACTED_PATHS, type RunningServer } from '@lab/shared';
import { startSubgraph } from '@lab/shared/subgraph';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { composeSupergraph } from './compose/compose';
import { standIns } from './compose/standIns.fixture';
import { BOOTSTRAP_ADMIN_ID, STORE_OWNERS, SUBGRAPH_NAMES, type SubgraphName } from './constants';
import { type RunningGateway, startGateway } from './server';

/** Everything the gateway and the stand-ins log, one JSON line each. */
const lines: string[] = [];
const log = pino({ level: 'info', redact: { paths: REDACTED_PATHS } }, { write: (line: string) => void lines.push(line) });
const logged = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
const SECRET = 's'.repeat(32);
const KEY = 'admin-key-0123456789abcdef';
const supergraphSdl = composeSupergraph(standIns()).supergraphSdl as string;

const storeOf = (name: SubgraphName) => Object.entries(STORE_OWNERS).find(([, owner]) => owner === name)?.[0] as string;
const status = (service: string) => ({ service, store: storeOf(service as SubgraphName), serverVersion: '1', latencyMs: 1 });

const subgraphs: RunningServer[] = [];
const urls = {} as Record<SubgraphName, string>;
let gateway: RunningGateway;

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}`, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const json = (await response.json()) as {
    data?: Record<string, unknown> | null;
    errors?: { message: string; extensions?: Record<string, unknown> }[];
  };
  return { status: response.status, headers: response.headers, ...json };
}

/** Opens a graphql-transport-ws socket with the key in connection_init: how the gateway closes it. */
function connectionClose(running: RunningGateway, key: string): Promise<{ code: number; reason: string }> {
  const socket = new WebSocket(`${running.url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
  return new Promise((resolve, reject) => {
    socket.on('error', reject);
    socket.on('open', () =>
      socket.send(JSON.stringify({ type: 'connection_init', payload: { Authorization: `Bearer ${key}` } })),
    );
    socket.on('message', (data) => reject(new Error(`answered ${String(data)}`)));
    socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
  });
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
            // The caller and request id as the subgraph received them, through the signed context.
            me: (_: unknown, __: unknown, ctx: { caller: { id: string }; requestId: string }) => ({
              id: ctx.caller.id,
              email: 'admin@lab.test',
              name: ctx.requestId,
              isAdmin: true,
              createdAt: '2026-01-01T00:00:00Z',
            }),
            registryStatus: () => {
              throw new Error('connection to 10.0.0.7 failed: password authentication failed');
            },
            metricsStatus: () => status('metrics'),
            artifactsStatus: () => status('artifacts'),
          },
        },
      },
      0,
      '127.0.0.1',
    );
    subgraphs.push(running);
    urls[name] = `${running.url}/graphql`;
  }
  gateway = await startGateway(
    { config: { internalSecret: SECRET, adminApiKey: KEY, subgraphUrls: urls }, log, supergraphSdl, bodyLimitBytes: 4096 },
    0,
    '127.0.0.1',
  );
});

afterAll(async () => {
  await gateway?.close();
  await Promise.all(subgraphs.map((s) => s.close()));
});

describe('authentication', () => {
  it('refuses an operation without a key or with a wrong one: 401 UNAUTHENTICATED', async () => {
    for (const authorization of ['', 'Bearer not-the-admin-key-at-all', `Basic ${KEY}`]) {
      const res = await post(gateway.url, { query: '{ me { id } }' }, { authorization });
      expect(res.status, authorization).toBe(401);
      expect(res.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      expect(res.data).toBeUndefined();
    }
  });

  it('refuses a GET operation without a key too', async () => {
    const response = await fetch(`${gateway.url}/graphql?query=${encodeURIComponent('{ me { id } }')}`, {
      headers: { 'apollo-require-preflight': 'true' },
    });
    expect(response.status).toBe(401);
  });

  it('passes the admin caller and the request id to the subgraphs, signed', async () => {
    const res = await post(
      gateway.url,
      { query: '{ me { id name } metricsStatus { store } artifactsStatus { store } }' },
      {
        'x-request-id': 'test-req-1',
      },
    );
    expect(res.errors).toBeUndefined();
    expect(res.status).toBe(200);
    expect(res.data).toEqual({
      me: { id: BOOTSTRAP_ADMIN_ID, name: 'test-req-1' },
      metricsStatus: { store: 'clickhouse' },
      artifactsStatus: { store: 's3' },
    });
    expect(res.headers.get('x-request-id')).toBe('test-req-1');
    expect(logged()).toContainEqual(
      expect.objectContaining({ msg: 'request', requestId: 'test-req-1', method: 'POST', path: '/graphql', status: 200 }),
    );
  });
});

describe('request ids and errors', () => {
  it('makes up a request id when the incoming one is missing or not sane', async () => {
    const res = await post(gateway.url, { query: '{ me { name } }' }, { 'x-request-id': 'no spaces <allowed>' });
    const id = res.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.data).toEqual({ me: { name: id } });
  });

  it('masks a subgraph internal error, keeping the request id and hiding the details', async () => {
    const res = await post(gateway.url, { query: '{ registryStatus { store } }' }, { 'x-request-id': 'test-req-2' });
    expect(res.errors?.[0]).toMatchObject({
      message: 'Internal error (request id test-req-2)',
      extensions: { code: 'INTERNAL', requestId: 'test-req-2' },
    });
    expect(JSON.stringify(res)).not.toMatch(/password|10\.0\.0\.7|stacktrace/);
    expect(logged()).toContainEqual(expect.objectContaining({ msg: 'internal error', requestId: 'test-req-2' }));
  });

  it('answers invalid GraphQL with BAD_USER_INPUT', async () => {
    const res = await post(gateway.url, { query: '{ nope }' });
    expect(res.status).toBe(400);
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('refuses a body over the limit with 413 PAYLOAD_TOO_LARGE', async () => {
    const res = await post(gateway.url, { query: `{ me { id } } # ${'x'.repeat(5000)}` }, { 'x-request-id': 'big-1' });
    expect(res.status).toBe(413);
    expect(res.errors?.[0]?.extensions).toEqual({ code: 'PAYLOAD_TOO_LARGE', requestId: 'big-1' });
  });

  it('refuses broken JSON with 400 BAD_USER_INPUT', async () => {
    const res = await post(gateway.url, '{"query": ');
    expect(res.status).toBe(400);
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('blocks simple cross-site requests (CSRF prevention)', async () => {
    const response = await fetch(`${gateway.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', authorization: `Bearer ${KEY}` },
      body: JSON.stringify({ query: '{ me { id } }' }),
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/Cross-Site Request Forgery/);
  });
});

describe('routes without a key', () => {
  it('serves GraphiQL to a browser at GET /graphql', async () => {
    const response = await fetch(`${gateway.url}/graphql?query=%7Bme%7Bid%7D%7D`, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('content-security-policy')).toMatch(/^default-src 'self';/);
    expect(await response.text()).toContain('renderYogaGraphiQL');
  });

  it('answers GET /health with every subgraph and store', async () => {
    const response = await fetch(`${gateway.url}/health`);
    const body = (await response.json()) as { status: string; components: Record<string, { status: string }> };
    expect(response.status).toBe(200);
    expect(body.status).toBe('up');
    for (const name of [...SUBGRAPH_NAMES, 'postgresql', 'clickhouse', 's3']) expect(body.components[name]?.status).toBe('up');
  });
});

describe('logs', () => {
  it('never contain the API key', () => {
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('\n')).not.toContain(KEY);
  });
});

describe('a misconfigured or broken platform', () => {
  it('will not start without LAB_INTERNAL_SECRET', async () => {
    await expect(
      startGateway(
        { config: { internalSecret: undefined, adminApiKey: KEY, subgraphUrls: urls }, log, supergraphSdl },
        0,
        '127.0.0.1',
      ),
    ).rejects.toThrow(/LAB_INTERNAL_SECRET is required/);
  });

  it('answers an API key it cannot check while the registry is unreachable as retryable: 503, and 1013 over the WebSocket', async () => {
    const cut = await startGateway(
      {
        config: { internalSecret: SECRET, adminApiKey: KEY, subgraphUrls: { ...urls, registry: 'http://127.0.0.1:9/graphql' } },
        log,
        supergraphSdl,
      },
      0,
      '127.0.0.1',
    );
    const apiKey = `lab_Unreach1_${'k'.repeat(40)}`;
    try {
      const graphql = await post(cut.url, { query: '{ metricsStatus { store } }' }, { authorization: `Bearer ${apiKey}` });
      expect(graphql.status).toBe(503);
      expect(graphql.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
      expect(graphql.headers.get('www-authenticate')).toBeNull();
      const ingest = await fetch(`${cut.url}/v1/metrics`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/x-ndjson' },
        body: '{}\n',
      });
      expect(ingest.status).toBe(503);
      expect(await ingest.json()).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
      // graphql-ws clients retry after 1013 (try again later); 4403 would tell them the key is refused.
      expect(await connectionClose(cut, apiKey)).toMatchObject({
        code: 1013,
        reason: expect.stringMatching(/registry is unavailable/),
      });
      expect(await connectionClose(cut, 'not-a-key-anyone-has')).toEqual({ code: 4403, reason: 'Forbidden' });
    } finally {
      await cut.close();
    }
  });

  it('reports an unreachable subgraph as SERVICE_UNAVAILABLE naming it, and a refused signature as INTERNAL', async () => {
    const broken = await startGateway(
      {
        config: {
          internalSecret: 'another-secret-'.repeat(3),
          adminApiKey: KEY,
          subgraphUrls: { ...urls, artifacts: 'http://127.0.0.1:9/graphql' },
        },
        log,
        supergraphSdl,
      },
      0,
      '127.0.0.1',
    );
    try {
      const down = await post(broken.url, { query: '{ artifactsStatus { store } }' });
      expect(down.errors?.[0]).toMatchObject({
        message: 'Subgraph artifacts is unavailable',
        extensions: { code: 'SERVICE_UNAVAILABLE', service: 'artifacts' },
      });
      const refused = await post(broken.url, { query: '{ me { id } }' }, { 'x-request-id': 'test-req-3' });
      expect(refused.errors?.[0]?.extensions).toEqual({ code: 'INTERNAL', requestId: 'test-req-3' });
    } finally {
      await broken.close();
    }
  });
});
