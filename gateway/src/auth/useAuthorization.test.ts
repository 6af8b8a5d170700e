/**
 * @authenticated / @requiresScopes through a real gateway over small
 * subgraphs whose SDL carries the directives; callers by the admin key
 * (scope *), by registry API keys (their scopes, asked of a stand-in
 * registry) and by JWTs (their scope claim).
 */
import { type Caller, REDACTED_PATHS, type RunningServer } from '@lab/shared';
import { startSubgraph } from '@lab/shared/subgraph';
import { parse } from 'graphql';
import { createClient } from 'graphql-ws';
import { SignJWT } from 'jose';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { composeSupergraph, type SubgraphInput } from '../compose/compose';
import { STORE_STATUS } from '../compose/standIns.fixture';
import { BOOTSTRAP_ADMIN_ID, type SubgraphName } from '../constants';
import { type RunningGateway, startGateway } from '../server';
import { adminKeyAuthenticator, chainAuthenticators } from './authenticate';
import { jwtAuthenticator } from './jwtAuthenticator';
import { registryAuthenticator } from './registryAuthenticator';

const log = pino({ level: 'silent', redact: { paths: REDACTED_PATHS } });
const SECRET = 's'.repeat(32);
const ADMIN_KEY = 'admin-key-0123456789abcdef';
const JWT_SECRET = 'jwt-secret-for-tests-0123456789abcdef';
const USER = '6f1c2d3e-4a5b-4c6d-8e7f-0123456789ab';
/** Registry API keys of a user, by the scopes they grant. */
const KEYS: Record<string, string[]> = {
  [`lab_readonly_${'r'.repeat(32)}`]: ['read'],
  [`lab_writekey_${'w'.repeat(32)}`]: ['write'],
  [`lab_adminkey_${'a'.repeat(32)}`]: ['admin'],
  [`lab_otherkey_${'o'.repeat(32)}`]: ['metrics:write'],
};
const keyWith = (scope: string) => Object.entries(KEYS).find(([, scopes]) => scopes.includes(scope))?.[0] as string;

const LINK = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable", "@authenticated", "@requiresScopes"])`;
const READ = '@requiresScopes(scopes: [["read"]])';
const WRITE = '@requiresScopes(scopes: [["write"]])';
const ADMIN = '@requiresScopes(scopes: [["admin"]])';
const SDL: Record<SubgraphName, string> = {
  registry: `${LINK}
    type User @key(fields: "id") {
      id: ID!
      name: String!
      apiKeys: [ApiKey!] ${ADMIN}
      adminNote: String! ${ADMIN}
    }
    type ApiKey { prefix: String! }
    ${STORE_STATUS}
    type Query {
      me: User ${READ}
      users: [User!]! ${READ}
      registryStatus: StoreStatus!
    }
    type Mutation {
      rename(name: String!): User ${WRITE}
      createUser(name: String!): User! ${ADMIN}
    }`,
  metrics: `${LINK}
    ${STORE_STATUS}
    type User @key(fields: "id") {
      id: ID!
      "Resolved by metrics: calls to it are counted."
      usage: Int ${ADMIN}
      points: Int ${READ}
    }
    type Query { metricsStatus: StoreStatus! ${READ} }
    type Subscription { ticks: Int! ${READ} }`,
  artifacts: `${LINK}\n${STORE_STATUS}\ntype Query { artifactsStatus: StoreStatus! @authenticated }`,
};

const subgraphs: RunningServer[] = [];
const urls = {} as Record<SubgraphName, string>;
let gateway: RunningGateway;
/** Operations each subgraph received. */
const received: Record<string, string[]> = { registry: [], metrics: [], artifacts: [] };
const status = (service: string) => ({ service, store: 'x', serverVersion: '1', latencyMs: 1 });

function user(id: string) {
  return { id, name: `user ${id.slice(0, 4)}`, apiKeys: [{ prefix: 'lab_abcd' }], adminNote: 'note' };
}

type Ctx = { caller: Caller };

async function post(credential: string, query: string, variables?: Record<string, unknown>) {
  const response = await fetch(`${gateway.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${credential}` },
    body: JSON.stringify({ query, variables }),
  });
  return {
    status: response.status,
    ...((await response.json()) as {
      data?: Record<string, unknown> | null;
      errors?: { message: string; path?: (string | number)[]; extensions?: { code?: string } }[];
    }),
  };
}

/** Notes that a subgraph resolved `what`, and returns `value`. */
function seen<T>(subgraph: string, what: string, value: T): T {
  received[subgraph]?.push(what);
  return value;
}

const forget = () => {
  for (const list of Object.values(received)) list.length = 0;
};

const token = (scope: string) =>
  new SignJWT({ scope })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(USER)
    .setIssuer('https://login.lab.test/')
    .setAudience('lab-api')
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode(JWT_SECRET));

beforeAll(async () => {
  const inputs: SubgraphInput[] = (['registry', 'metrics', 'artifacts'] as const).map((name) => ({
    name,
    typeDefs: parse(SDL[name]),
  }));
  const supergraphSdl = composeSupergraph(inputs).supergraphSdl as string;
  const resolvers: Record<SubgraphName, Record<string, unknown>> = {
    registry: {
      Query: {
        me: (_: unknown, __: unknown, ctx: Ctx) => seen('registry', 'me', user(ctx.caller.id)),
        users: () => seen('registry', 'users', [user(USER), user(BOOTSTRAP_ADMIN_ID)]),
        registryStatus: () => status('registry'),
      },
      Mutation: {
        rename: (_: unknown, args: { name: string }, ctx: Ctx) =>
          seen('registry', 'rename', { ...user(ctx.caller.id), name: args.name }),
        createUser: (_: unknown, args: { name: string }) => seen('registry', 'createUser', { ...user(USER), name: args.name }),
      },
      User: { __resolveReference: (ref: { id: string }) => user(ref.id) },
    },
    metrics: {
      Query: { metricsStatus: () => seen('metrics', 'metricsStatus', status('metrics')) },
      User: {
        __resolveReference: (ref: { id: string }) => seen('metrics', 'User', { id: ref.id }),
        usage: () => 42,
        points: () => 7,
      },
    },
    artifacts: { Query: { artifactsStatus: () => seen('artifacts', 'artifactsStatus', status('artifacts')) } },
  };
  for (const { name, typeDefs } of inputs) {
    const running = await startSubgraph(
      { name, typeDefs, log, internalSecret: SECRET, health: {}, resolvers: resolvers[name] as never },
      0,
      '127.0.0.1',
    );
    subgraphs.push(running);
    urls[name] = `${running.url}/graphql`;
  }
  const registryKeys = registryAuthenticator({
    registryUrl: urls.registry,
    internalSecret: SECRET,
    log,
    // The registry's Query._authenticate, answering for KEYS by hash.
    fetch: async (_url, init) => {
      const { variables } = JSON.parse(String(init?.body)) as { variables: { keyHash: string } };
      const { sha256Hex } = await import('./registryAuthenticator');
      const found = Object.entries(KEYS).find(([key]) => sha256Hex(key) === variables.keyHash);
      const answer = found ? { userId: USER, isAdmin: false, scopes: found[1] } : null;
      return new Response(JSON.stringify({ data: { _authenticate: answer } }), {
        headers: { 'content-type': 'application/json' },
      });
    },
  });
  gateway = await startGateway(
    {
      config: { internalSecret: SECRET, adminApiKey: ADMIN_KEY, subgraphUrls: urls },
      log,
      supergraphSdl,
      authenticator: chainAuthenticators(
        adminKeyAuthenticator(ADMIN_KEY),
        jwtAuthenticator({ secret: JWT_SECRET, issuer: 'https://login.lab.test/', audience: 'lab-api' }),
        registryKeys,
      ),
    },
    0,
    '127.0.0.1',
  );
});

afterAll(async () => {
  await gateway?.close();
  await Promise.all(subgraphs.map((s) => s.close()));
});

const FULL = '{ me { id name apiKeys { prefix } } metricsStatus { store } }';

describe('fields the caller may not see', () => {
  it('are removed with FORBIDDEN on their path; the rest of the answer stays (scope read, registry API key)', async () => {
    const res = await post(keyWith('read'), FULL);
    expect(res.status).toBe(200);
    expect(res.data).toEqual({ me: { id: USER, name: expect.any(String), apiKeys: null }, metricsStatus: { store: 'x' } });
    expect(res.errors).toEqual([
      {
        message: "User.apiKeys needs the scope admin; the caller's scopes do not grant it",
        locations: [{ line: 1, column: 16 }],
        path: ['me', 'apiKeys'],
        extensions: { code: 'FORBIDDEN' },
      },
    ]);
  });

  it('are all visible to the bootstrap admin (scope *), from the same operation', async () => {
    const res = await post(ADMIN_KEY, FULL);
    expect(res.errors).toBeUndefined();
    expect(res.data).toEqual({
      me: { id: BOOTSTRAP_ADMIN_ID, name: expect.any(String), apiKeys: [{ prefix: 'lab_abcd' }] },
      metricsStatus: { store: 'x' },
    });
    // The read caller again: the admin's plan is not reused for it.
    expect((await post(keyWith('read'), FULL)).data?.me).toMatchObject({ apiKeys: null });
  });

  it('are visible with a scope that implies the one asked (admin ⊃ write ⊃ read)', async () => {
    const res = await post(keyWith('admin'), `${FULL.slice(0, -1)} u: me { points } }`);
    expect(res.errors).toBeUndefined();
    expect(res.data?.me).toMatchObject({ apiKeys: [{ prefix: 'lab_abcd' }] });
    expect(res.data?.u).toEqual({ points: 7 });
  });

  it('null their nearest nullable parent when they are non-null, keeping the error on the field', async () => {
    const res = await post(keyWith('read'), '{ me { id adminNote } metricsStatus { store } }');
    expect(res.data).toEqual({ me: null, metricsStatus: { store: 'x' } });
    expect(res.errors?.map((e) => [e.path, e.extensions?.code])).toEqual([[['me', 'adminNote'], 'FORBIDDEN']]);
  });

  it('mark list levels with @ in the path and answer null in every item', async () => {
    const res = await post(keyWith('read'), '{ users { name apiKeys { prefix } } }');
    expect(res.data?.users).toEqual([
      { name: expect.any(String), apiKeys: null },
      { name: expect.any(String), apiKeys: null },
    ]);
    expect(res.errors?.map((e) => e.path)).toEqual([['users', '@', 'apiKeys']]);
  });

  it('leave no placeholder behind when they were all a selection asked for', async () => {
    const res = await post(keyWith('read'), '{ me { apiKeys { prefix } } }');
    expect(res.data).toEqual({ me: { apiKeys: null } });
  });

  it('are found in fragments, and aliased fields keep their alias in the path', async () => {
    const res = await post(
      keyWith('read'),
      'query Q { me { ...F ... on User { keys: apiKeys { prefix } } } } fragment F on User { id apiKeys { prefix } }',
    );
    expect(res.data).toEqual({ me: { id: USER, apiKeys: null, keys: null } });
    expect(res.errors?.map((e) => e.path)).toEqual([
      ['me', 'apiKeys'],
      ['me', 'keys'],
    ]);
  });

  it('are never asked of a subgraph: an entity field of another subgraph is not fetched', async () => {
    forget();
    const res = await post(keyWith('read'), '{ me { name usage } }');
    expect(res.data).toEqual({ me: { name: expect.any(String), usage: null } });
    expect(received.metrics).toEqual([]);
    forget();
    await post(keyWith('admin'), '{ me { name usage } }');
    expect(received.metrics).toEqual(['User']);
  });

  it('void the whole answer when nothing nullable is above them, without calling any subgraph', async () => {
    forget();
    const res = await post(keyWith('read'), 'mutation { createUser(name: "x") { id } }');
    expect(res.data).toBeNull();
    expect(res.errors?.map((e) => [e.path, e.extensions?.code])).toEqual([[['createUser'], 'FORBIDDEN']]);
    expect(received.registry).toEqual([]);
  });
});

describe('scopes of each kind of caller', () => {
  it('write lets a key write (and read), not administer', async () => {
    const res = await post(keyWith('write'), 'mutation { rename(name: "Ada") { name apiKeys { prefix } } }');
    expect(res.data).toEqual({ rename: { name: 'Ada', apiKeys: null } });
    expect(res.errors?.map((e) => e.path)).toEqual([['rename', 'apiKeys']]);
  });

  it('read may not write: the mutation is not run', async () => {
    forget();
    const res = await post(keyWith('read'), 'mutation { rename(name: "Ada") { name } }');
    expect(res.data).toEqual({ rename: null });
    expect(res.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(received.registry).toEqual([]);
  });

  it('a key with only scopes outside the vocabulary sees only unguarded fields', async () => {
    const res = await post(keyWith('metrics:write'), '{ registryStatus { store } metricsStatus { store } }');
    expect(res.data).toBeNull(); // metricsStatus is non-null at the root
    expect(res.errors?.map((e) => e.path)).toEqual([['metricsStatus']]);
    const unguarded = await post(keyWith('metrics:write'), '{ registryStatus { store } artifactsStatus { store } }');
    expect(unguarded.errors).toBeUndefined();
  });

  it('a JWT carries its scope claim into the same checks, and its sub as the caller', async () => {
    const read = await post(await token('openid read'), FULL);
    expect(read.data?.me).toEqual({ id: USER, name: expect.any(String), apiKeys: null });
    expect(read.errors?.map((e) => e.path)).toEqual([['me', 'apiKeys']]);
    const admin = await post(await token('admin'), FULL);
    expect(admin.errors).toBeUndefined();
  });
});

describe('subscriptions over WebSocket', () => {
  it('are refused whole, before any subgraph is asked, when a field needs a scope the caller lacks', async () => {
    const client = createClient({
      url: `${gateway.url.replace('http', 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { Authorization: `Bearer ${keyWith('metrics:write')}` },
      retryAttempts: 0,
    });
    try {
      const results: unknown[] = [];
      const failure = await (async () => {
        try {
          for await (const result of client.iterate({ query: 'subscription { ticks }' })) results.push(result);
        } catch (err) {
          return err;
        }
      })();
      const errors = (failure ?? (results[0] as { errors?: unknown }).errors) as {
        message: string;
        extensions?: { code?: string };
      }[];
      expect(errors).toEqual([
        expect.objectContaining({ message: expect.stringMatching(/Subscription.ticks needs the scope read/) }),
      ]);
      expect(errors[0]?.extensions?.code).toBe('FORBIDDEN');
    } finally {
      await client.dispose();
    }
  });
});
