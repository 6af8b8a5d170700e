/**
 * Gateway protection end to end in one process: operation limits, rate
 * limits, body limits, APQ and allow-list mode, over real HTTP, through real
 * gateways in front of stand-in subgraphs that count the calls they get.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Caller, loadConfig, type ProtectionConfig, REDACTED_PATHS, type RunningServer } from '@lab/shared';
import { startSubgraph } from '@lab/shared/subgraph';
import { getIntrospectionQuery } from 'graphql';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Authenticator } from '../auth/authenticate';
import { composeSupergraph } from '../compose/compose';
import { standIns } from '../compose/standIns.fixture';
import { STORE_OWNERS, type SubgraphName } from '../constants';
import { type RunningGateway, startGateway } from '../server';

const log = pino({ level: 'silent', redact: { paths: REDACTED_PATHS } });
const SECRET = 's'.repeat(32);
const REGISTRY = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable"])
type User @key(fields: "id") { id: ID!, email: String!, name: String!, friends(first: Int): UserConnection! }
type UserConnection { edges: [UserEdge!]!, totalCount: Int! }
type UserEdge { node: User! }
type StoreStatus @shareable { service: String!, store: String!, serverVersion: String!, latencyMs: Float! }
type Query { me: User, users(first: Int): UserConnection!, registryStatus: StoreStatus! }`;
const supergraphSdl = composeSupergraph(standIns({ registry: REGISTRY })).supergraphSdl as string;
const storeOf = (name: SubgraphName) => Object.entries(STORE_OWNERS).find(([, owner]) => owner === name)?.[0] as string;

/** Callers by key: each key its own caller, so each has its own bucket. */
const authenticator: Authenticator = {
  async authenticate(key) {
    const match = key.match(/^(key|readonly)-(\w+)$/);
    if (!match) return undefined;
    return { id: match[2] as string, kind: 'user', scopes: match[1] === 'readonly' ? ['read'] : ['*'] } satisfies Caller;
  },
};

let subgraphCalls = 0;
const user = (id: string) => ({ id, email: `${id}@lab.test`, name: id });
const connection = (first: number | undefined) => {
  const edges = Array.from({ length: Math.min(first ?? 2, 3) }, (_, i) => ({ node: user(`u${i}`) }));
  return { edges, totalCount: edges.length };
};

const subgraphs: RunningServer[] = [];
const urls = {} as Record<SubgraphName, string>;
const gateways: RunningGateway[] = [];
const defaults = loadConfig({}).protection;

async function gatewayWith(protection: Partial<ProtectionConfig>): Promise<RunningGateway> {
  const gateway = await startGateway(
    {
      config: { internalSecret: SECRET, adminApiKey: undefined, subgraphUrls: urls, protection: { ...defaults, ...protection } },
      log,
      supergraphSdl,
      authenticator,
    },
    0,
    '127.0.0.1',
  );
  gateways.push(gateway);
  return gateway;
}

interface Answer {
  status: number;
  headers: Headers;
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

async function post(gateway: RunningGateway, body: unknown, key = 'key-alice'): Promise<Answer> {
  const response = await fetch(`${gateway.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, ...((await response.json()) as object) };
}

async function get(gateway: RunningGateway, params: Record<string, unknown>, key = 'key-alice'): Promise<Answer> {
  const search = new URLSearchParams(
    Object.entries(params).map(([name, value]): [string, string] => [
      name,
      typeof value === 'string' ? value : JSON.stringify(value),
    ]),
  );
  const response = await fetch(`${gateway.url}/graphql?${search}`, {
    headers: { authorization: `Bearer ${key}`, 'apollo-require-preflight': 'true' },
  });
  return { status: response.status, headers: response.headers, ...((await response.json()) as object) };
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const persisted = (query: string) => ({ persistedQuery: { version: 1, sha256Hash: sha256(query) } });

beforeAll(async () => {
  for (const { name, typeDefs } of standIns({ registry: REGISTRY })) {
    const status = () => ({ service: name, store: storeOf(name), serverVersion: '1', latencyMs: 1 });
    const running = await startSubgraph(
      {
        name,
        typeDefs,
        log,
        internalSecret: SECRET,
        health: { [storeOf(name)]: async () => undefined },
        resolvers:
          name === 'registry'
            ? {
                Query: {
                  me: () => {
                    subgraphCalls++;
                    return user('me');
                  },
                  users: (_: unknown, args: { first?: number }) => {
                    subgraphCalls++;
                    return connection(args.first);
                  },
                  registryStatus: status,
                },
                User: { friends: (_: unknown, args: { first?: number }) => connection(args.first) },
              }
            : { Query: { [`${name}Status`]: status } },
      },
      0,
      '127.0.0.1',
    );
    subgraphs.push(running);
    urls[name] = `${running.url}/graphql`;
  }
});

afterAll(async () => {
  await Promise.all(gateways.map((g) => g.close()));
  await Promise.all(subgraphs.map((s) => s.close()));
});

beforeEach(() => {
  subgraphCalls = 0;
});

describe('operation limits', () => {
  let gateway: RunningGateway;
  beforeAll(async () => {
    gateway = await gatewayWith({
      operationLimits: {
        ...defaults.operationLimits,
        maxDepth: 7,
        maxAliases: 3,
        maxTokens: 200,
        maxCost: 500,
        defaultListSize: 20,
      },
    });
  });

  it('runs an operation within every limit', async () => {
    const res = await post(gateway, { query: '{ a: me { id } b: me { friends(first: 2) { totalCount } } }' });
    expect(res.errors).toBeUndefined();
    expect(res.data).toEqual({ a: { id: 'me' }, b: { friends: { totalCount: 2 } } });
  });

  it('refuses a deep operation, saying by how much, before any subgraph is called', async () => {
    const res = await post(gateway, {
      query: '{ me { friends(first: 1) { edges { node { friends(first: 1) { edges { node { id } } } } } } } }',
    });
    expect(res.status).toBe(400);
    expect(res.errors).toEqual([
      {
        message: 'depth 8 exceeds the limit of 7',
        extensions: { code: 'BAD_USER_INPUT', limit: 'depth', actual: 8, max: 7 },
      },
    ]);
    expect(res.data).toBeUndefined();
    expect(subgraphCalls).toBe(0);
  });

  it('refuses too many aliases', async () => {
    const res = await post(gateway, { query: '{ a: me { id } b: me { id } c: me { id } d: me { id } }' });
    expect(res.status).toBe(400);
    expect(res.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', limit: 'aliases', actual: 4, max: 3 });
    expect(subgraphCalls).toBe(0);
  });

  it('refuses a document of too many tokens, with the exact count', async () => {
    const res = await post(gateway, { query: `{ me { ${'id '.repeat(300)}} }` });
    expect(res.status).toBe(400);
    expect(res.errors?.[0]).toEqual({
      message: 'tokens 305 exceeds the limit of 200',
      extensions: { code: 'BAD_USER_INPUT', limit: 'tokens', actual: 305, max: 200 },
    });
  });

  it('still answers a syntax error as one', async () => {
    const res = await post(gateway, { query: '{ me { id }' });
    expect(res.status).toBe(400);
    expect(res.errors?.[0]?.message).toMatch(/^Syntax Error/);
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('multiplies list sizes into the cost, taking first from variables', async () => {
    const query = 'query($n: Int) { users(first: $n) { edges { node { friends(first: 10) { edges { node { id } } } } } } }';
    const small = await post(gateway, { query, variables: { n: 2 } });
    expect(small.errors, JSON.stringify(small.errors)).toBeUndefined();
    const big = await post(gateway, { query, variables: { n: 100 } });
    expect(big.status).toBe(400);
    // users 1 + 100 × (edge 1 + node 1 + friends 1 + 10 × (edge 1 + node 1))
    expect(big.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', limit: 'cost', actual: 2301, max: 500 });
  });
});

describe('the default limits', () => {
  let gateway: RunningGateway;
  beforeAll(async () => {
    gateway = await gatewayWith({});
  });

  it("let GraphiQL's introspection query through", async () => {
    const res = await post(gateway, {
      query: getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true, schemaDescription: true }),
    });
    expect(res.errors).toBeUndefined();
    const schema = res.data?.__schema as { types: unknown[] } | undefined;
    expect(schema?.types.length).toBeGreaterThan(5);
  });

  it('refuse a document of more than 5,000 tokens', async () => {
    const res = await post(gateway, { query: `{ ${'me{id}'.repeat(1300)} }` });
    expect(res.status).toBe(400);
    expect(res.errors?.[0]?.extensions).toMatchObject({ limit: 'tokens', actual: 5202, max: 5000 });
  });
});

describe('automatic persisted queries', () => {
  let gateway: RunningGateway;
  beforeAll(async () => {
    gateway = await gatewayWith({});
  });

  it('registers over GET: PERSISTED_QUERY_NOT_FOUND, then hash and query, then the hash alone', async () => {
    const query = '{ me { name } }';
    const miss = await get(gateway, { extensions: persisted(query) });
    expect(miss.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect(subgraphCalls).toBe(0);
    const register = await get(gateway, { query, extensions: persisted(query) });
    expect(register.data).toEqual({ me: { name: 'me' } });
    const hit = await get(gateway, { extensions: persisted(query) });
    expect(hit.status).toBe(200);
    expect(hit.data).toEqual({ me: { name: 'me' } });
  });

  it('registers over POST, with variables', async () => {
    const query = 'query Users($n: Int) { users(first: $n) { totalCount } }';
    const miss = await post(gateway, { extensions: persisted(query), variables: { n: 1 } });
    expect(miss.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    await post(gateway, { query, extensions: persisted(query), variables: { n: 1 } });
    const hit = await post(gateway, { extensions: persisted(query), variables: { n: 3 } });
    expect(hit.data).toEqual({ users: { totalCount: 3 } });
  });

  it('refuses a hash that is not the sha256 of the query', async () => {
    const res = await post(gateway, { query: '{ me { id } }', extensions: persisted('{ me { name } }') });
    expect(res.status).toBe(400);
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0]?.message).toBe('provided sha does not match query');
  });

  it('applies the operation limits to a persisted query too', async () => {
    const limited = await gatewayWith({ operationLimits: { ...defaults.operationLimits, maxAliases: 1 } });
    const query = '{ a: me { id } b: me { id } }';
    const res = await post(limited, { query, extensions: persisted(query) });
    expect(res.errors?.[0]?.extensions).toMatchObject({ limit: 'aliases', actual: 2 });
    const again = await post(limited, { extensions: persisted(query) });
    expect(again.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
  });

  it('answers PERSISTED_QUERY_NOT_SUPPORTED when the cache is 0 bytes', async () => {
    const off = await gatewayWith({ persistedQueries: { ...defaults.persistedQueries, cacheBytes: 0 } });
    const res = await post(off, { extensions: persisted('{ me { id } }') });
    expect(res.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_SUPPORTED');
  });
});

describe('allow-list mode', () => {
  const ME = 'query Me { me { id } }';
  const HASH_ONLY = '{ me { name } }';
  let gateway: RunningGateway;
  let manifest: string;
  beforeAll(async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'lab-allowlist-'));
    manifest = path.join(dir, 'operations.json');
    writeFileSync(
      manifest,
      JSON.stringify({
        format: 'apollo-persisted-query-manifest',
        version: 1,
        operations: [{ id: sha256(ME), name: 'Me', type: 'query', body: ME }, { id: sha256(HASH_ONLY) }],
      }),
    );
    gateway = await gatewayWith({
      persistedQueries: { cacheBytes: 1024 * 1024, allowlistPath: manifest, allowIntrospection: true },
    });
  });

  it('runs a listed document, also written differently', async () => {
    expect((await post(gateway, { query: ME })).data).toEqual({ me: { id: 'me' } });
    expect((await post(gateway, { query: 'query Me {\n  me { id } # same\n}' })).data).toEqual({ me: { id: 'me' } });
  });

  it('refuses any other operation with 403 FORBIDDEN before any subgraph is called', async () => {
    const res = await post(gateway, { query: 'query Emails { me { email } }' });
    expect(res.status).toBe(403);
    expect(res.errors).toEqual([
      {
        message: 'This gateway runs registered operations only, and operation "Emails" is not registered',
        extensions: { code: 'FORBIDDEN', reason: 'OPERATION_NOT_REGISTERED' },
      },
    ]);
    expect(subgraphCalls).toBe(0);
  });

  it("serves the manifest's documents by hash without registration", async () => {
    const res = await post(gateway, { extensions: persisted(ME) });
    expect(res.data).toEqual({ me: { id: 'me' } });
  });

  it('lets a hash-only entry be registered by APQ, and nothing else', async () => {
    expect((await post(gateway, { extensions: persisted(HASH_ONLY) })).errors?.[0]?.extensions?.code).toBe(
      'PERSISTED_QUERY_NOT_FOUND',
    );
    expect((await post(gateway, { query: HASH_ONLY, extensions: persisted(HASH_ONLY) })).data).toEqual({ me: { name: 'me' } });
    expect((await post(gateway, { extensions: persisted(HASH_ONLY) })).data).toEqual({ me: { name: 'me' } });

    const other = '{ me { email } }';
    expect((await post(gateway, { query: other, extensions: persisted(other) })).status).toBe(403);
    expect((await post(gateway, { extensions: persisted(other) })).errors?.[0]?.extensions?.code).toBe(
      'PERSISTED_QUERY_NOT_FOUND',
    );
  });

  it('allows introspection-only operations (GraphiQL), and only those', async () => {
    const res = await post(gateway, { query: getIntrospectionQuery() });
    expect(res.errors).toBeUndefined();
    expect((await post(gateway, { query: '{ __typename me { id } }' })).status).toBe(403);
  });

  it('refuses to start on a broken manifest, naming it', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'lab-allowlist-'));
    const manifest = path.join(dir, 'broken.json');
    writeFileSync(manifest, JSON.stringify([{ id: 'nope' }]));
    await expect(gatewayWith({ persistedQueries: { ...defaults.persistedQueries, allowlistPath: manifest } })).rejects.toThrow(
      /broken.json: operation 0: "id" must be a sha256 hex hash/,
    );
  });

  it('refuses introspection too when told to', async () => {
    const strict = await gatewayWith({
      persistedQueries: { cacheBytes: 1024, allowlistPath: manifest, allowIntrospection: false },
    });
    expect((await post(strict, { query: getIntrospectionQuery() })).status).toBe(403);
    expect((await post(strict, { query: ME })).data).toEqual({ me: { id: 'me' } });
  });
});

describe('rate limits and body limits', () => {
  let gateway: RunningGateway;
  beforeAll(async () => {
    gateway = await gatewayWith({
      rateLimit: { perSecond: 0.2, burst: 2 },
      bodyLimitBytes: 2048,
      ingestLimitBytes: 1024,
    });
  });

  it('refuses a caller past its burst with 429 RATE_LIMITED and Retry-After, other callers unaffected', async () => {
    expect((await post(gateway, { query: '{ me { id } }' }, 'key-rl1')).status).toBe(200);
    expect((await post(gateway, { query: '{ me { id } }' }, 'key-rl1')).status).toBe(200);
    const refused = await post(gateway, { query: '{ me { id } }' }, 'key-rl1');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(refused.errors?.[0]).toEqual({
      message: 'Rate limit exceeded: 0.2 requests per second with bursts of 2 per caller; retry after 5 s',
      extensions: { code: 'RATE_LIMITED', retryAfter: 5 },
    });
    expect((await post(gateway, { query: '{ me { id } }' }, 'key-rl2')).status).toBe(200);
  });

  it('counts POST /v1/metrics in the same bucket, answering 429 with Retry-After', async () => {
    const ingest = (key: string) =>
      fetch(`${gateway.url}/v1/metrics`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-ndjson' },
        body: '{}\n',
      });
    expect((await ingest('key-rl3')).status).not.toBe(429);
    expect((await post(gateway, { query: '{ me { id } }' }, 'key-rl3')).status).toBe(200);
    const refused = await ingest('key-rl3');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(await refused.json()).toEqual({ code: 'RATE_LIMITED', message: expect.stringMatching(/^Rate limit exceeded/) });
  });

  it('refuses POST /v1/metrics to a caller without the write scope, with 403 FORBIDDEN', async () => {
    const response = await fetch(`${gateway.url}/v1/metrics`, {
      method: 'POST',
      headers: { authorization: 'Bearer readonly-viewer', 'content-type': 'application/x-ndjson' },
      body: '{}\n',
    });
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({ code: 'FORBIDDEN', message: expect.stringContaining('needs the scope write') });
  });

  it('refuses a GraphQL body over the configured limit with 413', async () => {
    const res = await post(gateway, { query: `{ me { id } } # ${'x'.repeat(3000)}` }, 'key-big1');
    expect(res.status).toBe(413);
    expect(res.errors?.[0]?.extensions?.code).toBe('PAYLOAD_TOO_LARGE');
    expect(res.errors?.[0]?.message).toBe('Request body is larger than 2048 bytes');
  });

  it('refuses an ingest body over the configured limit with 413', async () => {
    const response = await fetch(`${gateway.url}/v1/metrics`, {
      method: 'POST',
      headers: { authorization: 'Bearer key-big2', 'content-type': 'application/x-ndjson' },
      body: `${'{}\n'.repeat(1000)}`,
    });
    expect(response.status).toBe(413);
    expect(((await response.json()) as { code: string }).code).toBe('PAYLOAD_TOO_LARGE');
  });
});
