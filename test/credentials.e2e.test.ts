/**
 * Credentials through the platform running as real processes: a key is
 * refused the second it expires (over HTTP and on an open socket); a revoked
 * key's socket closes with 4403 within 5 s, its subscription ending with it,
 * and operations carrying it over another socket are refused; key management
 * checks the acting key in the registry (a just-revoked or just-expired key
 * mints nothing, and a key never mints one that outlives it or has more
 * scopes); a flood of unknown keys from one address is cut to 429 and costs
 * the registry a bounded number of lookups while /health keeps answering.
 */
import { randomBytes } from 'node:crypto';
import { type Client, createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { eventually, startTestPlatform, type TestPlatform } from './support/testPlatform';

const METRICS_TOKEN = 'metrics-token-0123456789abcdef';
const CREATE_KEY = 'mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { secret apiKey { id scopes expiresAt } } }';
const REVOKE_KEY = 'mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }';
const STREAM = 'subscription($runId: ID!) { metricStream(runId: $runId, names: ["loss"]) { step } }';
const LOG = 'mutation($r: ID!, $p: [MetricPointInput!]!) { logMetrics(runId: $r, points: $p) { accepted } }';

interface Key {
  secret: string;
  id: string;
  scopes: string[];
  expiresAt: string | null;
}

interface Closed {
  code: number;
  reason: string;
  at: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
const unknownKey = () => `lab_${randomBytes(4).toString('hex')}_${randomBytes(20).toString('hex')}`;

describe('credentials through the platform', () => {
  let platform: TestPlatform;
  let userId: string;
  let runId: string;
  const clients: Client[] = [];
  let step = 0;

  /** A key of the user, made by the admin. */
  async function newKey(input: { scopes?: string[]; expiresAt?: string } = {}): Promise<Key> {
    const { body } = await platform.gql<{ createApiKey: { secret: string; apiKey: Omit<Key, 'secret'> } }>(CREATE_KEY, {
      i: { name: `key ${Math.random()}`, userId, ...input },
    });
    expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
    const created = body.data?.createApiKey as { secret: string; apiKey: Omit<Key, 'secret'> };
    return { secret: created.secret, ...created.apiKey };
  }

  const revoke = async (key: Key) => expect((await platform.gql(REVOKE_KEY, { id: key.id })).body.errors).toBeUndefined();

  /** A graphql-ws client, with `closed` resolving when the server closes its socket. */
  function socket(key: string | undefined): { client: Client; closed: Promise<Closed> } {
    let resolve: (closed: Closed) => void = () => {};
    const closed = new Promise<Closed>((r) => {
      resolve = r;
    });
    const client = createClient({
      url: platform.graphqlUrl.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: key ? { Authorization: `Bearer ${key}` } : {},
      retryAttempts: 0,
      lazy: false,
      on: {
        closed: (event) => {
          const { code, reason } = event as { code: number; reason: string };
          resolve({ code, reason: String(reason), at: Date.now() });
        },
      },
    });
    clients.push(client);
    return { client, closed };
  }

  /** Subscribes to the run's loss and waits for a logged point to arrive; returns how the stream ended. */
  async function liveStream(client: Client): Promise<{ points: number[]; ended: Promise<unknown> }> {
    const points: number[] = [];
    const events = client.iterate({ query: STREAM, variables: { runId } }) as AsyncIterableIterator<{
      data?: { metricStream: { step: number } };
    }>;
    const ended = (async () => {
      for await (const event of events) if (event.data) points.push(event.data.metricStream.step);
      return 'completed';
    })().catch((err: unknown) => err);
    await eventually(async () => {
      expect((await platform.gql(LOG, { r: runId, p: [{ name: 'loss', value: 1, step: step++ }] })).body.errors).toBeUndefined();
      await sleep(200);
      expect(points.length).toBeGreaterThan(0);
    });
    return { points, ended };
  }

  /** Runs one operation over a socket; its result, or what it was refused with. */
  async function over(client: Client, query: string, variables: Record<string, unknown>, key?: string): Promise<unknown> {
    try {
      const result = await client
        .iterate({ query, variables, ...(key ? { extensions: { headers: { Authorization: `Bearer ${key}` } } } : {}) })
        .next();
      return result.value;
    } catch (err) {
      return { refused: err };
    }
  }

  async function lookups(): Promise<number> {
    const response = await fetch(`${platform.gatewayUrl}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    const text = await response.text();
    const line = text.split('\n').find((l) => l.startsWith('lab_gateway_api_key_lookups_total{kind="authenticate"}'));
    return Number(line?.split(' ').at(-1) ?? Number.NaN);
  }

  beforeAll(async () => {
    platform = await startTestPlatform({ env: { LAB_METRICS_TOKEN: METRICS_TOKEN } });
    const user = await platform.gql<{ createUser: { id: string } }>(
      'mutation { createUser(input: { email: "kim@lab.test", name: "Kim" }) { id } }',
    );
    userId = user.body.data?.createUser.id as string;
    const ids = await platform.newRun({ project: 'credentials', experiment: 'keys', run: 'r1' });
    runId = ids.runId;
    const added = await platform.gql(
      'mutation($p: ID!, $u: ID!) { addProjectMember(projectId: $p, userId: $u, role: EDITOR) { role } }',
      {
        p: ids.projectId,
        u: userId,
      },
    );
    expect(added.body.errors).toBeUndefined();
  }, 180_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await platform?.stop();
  });

  it('refuses a key the second it expires, over HTTP and on an open socket', async () => {
    const expiresAt = new Date(Math.ceil((Date.now() + 4_000) / 1000) * 1000);
    const key = await newKey({ expiresAt: expiresAt.toISOString() });
    expect((await platform.gql('{ me { id } }', undefined, { key: key.secret })).status).toBe(200); // cached at the gateway now
    const live = socket(key.secret);
    const stream = await liveStream(live.client);

    await sleep(expiresAt.getTime() - Date.now());
    const answer = await platform.gql('{ me { id } }', undefined, { key: key.secret });
    expect(answer.status).toBe(401);
    expect(answer.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const closed = await live.closed;
    expect(closed.code).toBe(4403);
    expect(closed.at - expiresAt.getTime()).toBeLessThan(1_000);
    expect(await stream.ended).toBeDefined();
  }, 30_000);

  it("closes a revoked key's socket with 4403 within 5 s, ending its subscription, and refuses operations carrying it", async () => {
    const key = await newKey();
    const other = await newKey();
    const live = socket(key.secret);
    const stream = await liveStream(live.client);
    const graphiql = socket(undefined); // GraphiQL's way: credentials with each operation
    const project = 'mutation($n: String!) { createProject(input: { name: $n }) { id } }';
    expect(await over(graphiql.client, project, { n: 'before revocation' }, other.secret)).toMatchObject({
      data: { createProject: { id: expect.any(String) } },
    });

    const revokedAt = Date.now();
    await Promise.all([revoke(key), revoke(other)]);
    const closed = await live.closed;
    expect(closed.code).toBe(4403);
    expect(closed.at - revokedAt).toBeLessThan(5_000);
    expect(await stream.ended).toBeDefined();
    const afterClose = stream.points.length;
    await platform.gql(LOG, { r: runId, p: [{ name: 'loss', value: 1, step: step++ }] });
    await sleep(300);
    expect(stream.points.length).toBe(afterClose);

    await eventually(
      async () => {
        const refused = (await over(graphiql.client, project, { n: 'after revocation' }, other.secret)) as {
          refused?: { extensions?: { code?: string } }[];
        };
        expect(refused.refused?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      },
      5_000,
      100,
    );
    expect(Date.now() - revokedAt).toBeLessThan(5_000);
    expect((await platform.gql('{ me { id } }', undefined, { key: other.secret })).status).toBe(401);
  }, 30_000);

  it('lets no just-revoked or just-expired key create a key', async () => {
    const count = async () =>
      (
        await platform.gql<{ user: { apiKeys: unknown[] } }>('query($id: ID!) { user(id: $id) { apiKeys { id } } }', {
          id: userId,
        })
      ).body.data?.user.apiKeys.length;
    const revoked = await newKey();
    expect((await platform.gql('{ me { id } }', undefined, { key: revoked.secret })).status).toBe(200);
    const before = await count();
    await revoke(revoked);
    const minted = await platform.gql(CREATE_KEY, { i: { name: 'from a revoked key' } }, { key: revoked.secret });
    expect(minted.body.data?.createApiKey ?? null).toBeNull();
    expect(minted.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');

    const expiresAt = new Date(Date.now() + 2_000);
    const expiring = await newKey({ expiresAt: expiresAt.toISOString() });
    expect((await platform.gql('{ me { id } }', undefined, { key: expiring.secret })).status).toBe(200);
    await sleep(expiresAt.getTime() - Date.now());
    const late = await platform.gql(CREATE_KEY, { i: { name: 'from an expired key' } }, { key: expiring.secret });
    expect(late.body.data?.createApiKey ?? null).toBeNull();
    expect(late.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(await count()).toBe((before ?? 0) + 1); // the expiring key only
  }, 30_000);

  it('never mints a key that outlives the acting key or has more scopes', async () => {
    const expiresAt = new Date(Math.floor(Date.now() / 1000) * 1000 + 3_600_000);
    const acting = await newKey({ scopes: ['admin'], expiresAt: expiresAt.toISOString() });
    const mint = (input: Record<string, unknown>) =>
      platform.gql<{ createApiKey: { apiKey: { scopes: string[]; expiresAt: string | null } } }>(
        CREATE_KEY,
        { i: { name: 'minted', ...input } },
        { key: acting.secret },
      );

    const inherited = await mint({});
    expect(inherited.body.errors).toBeUndefined();
    expect(inherited.body.data?.createApiKey.apiKey).toMatchObject({ scopes: ['admin'], expiresAt: expiresAt.toISOString() });
    const beyond = await mint({ expiresAt: new Date(expiresAt.getTime() + 60_000).toISOString() });
    expect(beyond.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(beyond.body.errors?.[0]?.message).toContain(expiresAt.toISOString());
    const sooner = new Date(expiresAt.getTime() - 60_000).toISOString();
    expect((await mint({ expiresAt: sooner })).body.data?.createApiKey.apiKey.expiresAt).toBe(sooner);

    for (const scopes of [['*'], ['admin', 'metrics:write']]) {
      const wider = await mint({ scopes });
      expect(wider.body.errors?.[0]?.extensions?.code, scopes.join(' ')).toBe('FORBIDDEN');
    }
    const narrower = await mint({ scopes: ['read'] });
    expect(narrower.body.data?.createApiKey.apiKey.scopes).toEqual(['read']);
  });

  it('cuts a flood of unknown keys from one address to 429, with few registry lookups, while /health keeps answering', async () => {
    const good = await newKey();
    expect((await platform.gql('{ me { id } }', undefined, { key: good.secret })).status).toBe(200);
    const health = async () => {
      const started = performance.now();
      expect((await fetch(platform.healthUrl)).status).toBe(200);
      return performance.now() - started;
    };
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
    const idle: number[] = [];
    for (let i = 0; i < 15; i++) idle.push(await health());
    const lookupsBefore = await lookups();

    // About 100 requests a second (8 clients, one request each 80 ms at most), each with a key never seen.
    const seconds = 5;
    const until = Date.now() + seconds * 1000;
    const statuses = new Map<number, number>();
    let limited: { retryAfter: string | null; code: unknown } | undefined;
    const flood = Array.from({ length: 8 }, async () => {
      while (Date.now() < until) {
        const pace = sleep(80);
        const response = await fetch(platform.graphqlUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${unknownKey()}` },
          body: JSON.stringify({ query: '{ me { id } }' }),
        });
        const body = (await response.json()) as { errors?: { extensions?: { code?: string } }[] };
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        if (response.status === 429)
          limited ??= { retryAfter: response.headers.get('retry-after'), code: body.errors?.[0]?.extensions?.code };
        await pace;
      }
    });
    const during: number[] = [];
    let goodStatus = 0;
    const probe = (async () => {
      await sleep(1_000);
      goodStatus = (await platform.gql('{ me { id } }', undefined, { key: good.secret })).status;
      while (Date.now() < until) {
        during.push(await health());
        await sleep(100);
      }
    })();
    await Promise.all([...flood, probe]);
    const lookupsDuring = (await lookups()) - lookupsBefore;
    const requests = [...statuses.values()].reduce((a, b) => a + b, 0);
    console.log(
      `unknown-key flood: ${requests} requests in ${seconds} s (${JSON.stringify(Object.fromEntries(statuses))}), ` +
        `${lookupsDuring} registry lookups (${(lookupsDuring / seconds).toFixed(1)}/s); ` +
        `/health median ${median(idle).toFixed(1)} ms idle, ${median(during).toFixed(1)} ms during the flood`,
    );

    expect(limited).toEqual({ retryAfter: expect.stringMatching(/^\d+$/), code: 'RATE_LIMITED' });
    expect(statuses.get(429) ?? 0).toBeGreaterThan(requests / 2);
    expect(lookupsDuring).toBeLessThanOrEqual(20 + seconds + 2); // the burst, then one a second
    expect(goodStatus).toBe(200); // a key the gateway already knows costs no lookup and is not refused
    // /health answered 200 throughout (each probe checks it); its latency is printed above, not asserted:
    // on a shared 2-core machine a timing bound here fails for reasons other than the gateway.
    expect(during.length).toBeGreaterThan(10);
  }, 60_000);
});
