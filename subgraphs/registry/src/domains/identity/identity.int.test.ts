/**
 * Identity and access on a real registry (embedded PostgreSQL, the subgraph
 * in-process): users, API keys, projects, roles and memberships, and the
 * internal _authenticate and _ownership fields.
 */
import { type Caller, CONTEXT_HEADER, createLogger, loadConfig, signContext } from '@lab/shared';
import { createRegistryAccess } from '@lab/shared/internal';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BOOTSTRAP_ADMIN_ID } from '../../constants';
import { startTempPostgres, type TempPostgres } from '../../db/tempPostgres';
import { type RunningRegistry, startRegistry } from '../../service';
import { API_KEY_PATTERN, hashApiKey } from './apiKeys';

const secret = 'y'.repeat(32);
const admin: Caller = { id: BOOTSTRAP_ADMIN_ID, kind: 'admin', scopes: ['*'] };
const gateway: Caller = { id: 'gateway', kind: 'service', scopes: ['*'] };
const log = createLogger('registry', { logLevel: 'silent', logFormat: 'json' });
const asUser = (id: string): Caller => ({ id, kind: 'user', scopes: ['*'] });

let server: TempPostgres;
let running: RunningRegistry;
let db: pg.Client;

interface Result<T = Record<string, unknown>> {
  status: number;
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

async function gql<T = Record<string, unknown>>(caller: Caller, query: string, variables?: unknown): Promise<Result<T>> {
  const res = await fetch(`${running.url}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      [CONTEXT_HEADER]: signContext(secret, { requestId: 'identity-test', caller, query }),
    },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as Omit<Result<T>, 'status'>;
  return { status: res.status, ...body };
}

/** The data of a request that must succeed. */
async function ok<T = Record<string, unknown>>(caller: Caller, query: string, variables?: unknown): Promise<T> {
  const result = await gql<T>(caller, query, variables);
  expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
  return result.data as T;
}

/** The error code of a request that must fail. */
async function code(caller: Caller, query: string, variables?: unknown): Promise<string | undefined> {
  const result = await gql(caller, query, variables);
  expect(result.errors, `expected an error from ${query}`).toBeDefined();
  return result.errors?.[0]?.extensions?.code;
}

const CREATE_USER = 'mutation($i: CreateUserInput!) { createUser(input: $i) { id email isAdmin } }';
const CREATE_PROJECT =
  'mutation($i: CreateProjectInput!) { createProject(input: $i) { id name myRole members { role user { id } } } }';
const PROJECT = 'query($id: ID!) { project(id: $id) { id name myRole } }';
const PROJECTS =
  'query($f: ProjectFilter, $first: Int, $after: String) { projects(filter: $f, first: $first, after: $after) { totalCount edges { node { id name } } pageInfo { hasNextPage endCursor } } }';
const UPDATE_PROJECT = 'mutation($id: ID!, $i: UpdateProjectInput!) { updateProject(id: $id, input: $i) { id description } }';
const ADD =
  'mutation($p: ID!, $u: ID!, $r: ProjectRole!) { addProjectMember(projectId: $p, userId: $u, role: $r) { role user { id } } }';
const UPDATE =
  'mutation($p: ID!, $u: ID!, $r: ProjectRole!) { updateProjectMember(projectId: $p, userId: $u, role: $r) { role } }';
const REMOVE = 'mutation($p: ID!, $u: ID!) { removeProjectMember(projectId: $p, userId: $u) { id } }';
const CREATE_KEY =
  'mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { secret apiKey { id prefix name scopes active user { id } } } }';
const REVOKE_KEY = 'mutation($id: ID!) { revokeApiKey(id: $id) { id revokedAt active } }';
const AUTHENTICATE = 'query($h: String!) { _authenticate(keyHash: $h) { userId isAdmin scopes } }';
const OWNERSHIP = 'query($r: [OwnershipRef!]!) { _ownership(refs: $r) { projectId parentId canRead canWrite canManage } }';

let alice: Caller;
let bob: Caller;
let carol: Caller;
let projectId: string;

beforeAll(async () => {
  server = await startTempPostgres();
  const url = server.databaseUrl('lab');
  running = await startRegistry(
    loadConfig({
      LAB_INTERNAL_SECRET: secret,
      REGISTRY_PORT: '0',
      LOG_LEVEL: 'silent',
      DATABASE_URL: url,
      LAB_ADMIN_API_KEY: 'k'.repeat(24),
    }),
    log,
  );
  db = new pg.Client({ connectionString: url });
  db.on('error', () => {}); // the server ends this connection at teardown
  await db.connect();
  const make = async (email: string, name: string) =>
    asUser((await ok<{ createUser: { id: string } }>(admin, CREATE_USER, { i: { email, name } })).createUser.id);
  alice = await make('alice@lab.test', 'Alice');
  bob = await make('bob@lab.test', 'Bob');
  carol = await make('carol@lab.test', "Carol O'Neil");
}, 120_000);

afterAll(async () => {
  await db?.end();
  await running?.stop();
  await server?.stop();
});

describe('users', () => {
  it('are created by admins only, with unique emails and checked input', async () => {
    expect(await code(alice, CREATE_USER, { i: { email: 'x@lab.test', name: 'X' } })).toBe('FORBIDDEN');
    expect(await code(admin, CREATE_USER, { i: { email: 'ALICE@lab.test', name: 'Alice 2' } })).toBe('CONFLICT');
    const bad = await gql(admin, CREATE_USER, { i: { email: 'not-an-email', name: 'X' } });
    expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(bad.errors?.[0]?.message).toContain('input.email');
  });

  it('are visible to themselves and to admins; others get NOT_FOUND until they share a project', async () => {
    expect(
      (await ok<{ user: { id: string } }>(alice, 'query($id: ID!) { user(id: $id) { id } }', { id: alice.id })).user.id,
    ).toBe(alice.id);
    expect(await code(bob, 'query($id: ID!) { user(id: $id) { id } }', { id: alice.id })).toBe('NOT_FOUND');
    const all = await ok<{ users: { totalCount: number } }>(admin, '{ users { totalCount } }');
    expect(all.users.totalCount).toBe(4);
    const own = await ok<{ users: { edges: { node: { id: string } }[] } }>(bob, '{ users { edges { node { id } } } }');
    expect(own.users.edges.map((e) => e.node.id)).toEqual([bob.id]);
    const found = await ok<{ users: { edges: { node: { email: string } }[] } }>(
      admin,
      '{ users(filter: { search: "o\'nei" }) { edges { node { email } } } }',
    );
    expect(found.users.edges.map((e) => e.node.email)).toEqual(['carol@lab.test']);
    for (const wildcard of ['%', '_', '\\']) {
      const none = await ok<{ users: { totalCount: number } }>(
        admin,
        'query($s: String) { users(filter: { search: $s }) { totalCount } }',
        {
          s: wildcard,
        },
      );
      expect(none.users.totalCount, wildcard).toBe(0);
    }
  });
});

describe('users, ordered and paged', () => {
  it('pages by email ascending with stable cursors', async () => {
    const q =
      'query($after: String) { users(first: 2, after: $after, orderBy: { field: EMAIL, direction: ASC }) { edges { node { email } } pageInfo { hasNextPage endCursor } } }';
    type Page = { users: { edges: { node: { email: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string } } };
    const emails: string[] = [];
    let after: string | undefined;
    for (let i = 0; i < 5; i++) {
      const page: Page = await ok<Page>(admin, q, { after });
      emails.push(...page.users.edges.map((e) => e.node.email));
      if (!page.users.pageInfo.hasNextPage) break;
      after = page.users.pageInfo.endCursor;
    }
    expect(emails).toEqual([...emails].sort());
    expect(emails).toEqual(expect.arrayContaining(['admin@lab.local', 'alice@lab.test', 'bob@lab.test', 'carol@lab.test']));
  });
});

describe('projects and roles', () => {
  it('makes the creator OWNER', async () => {
    const data = await ok<{ createProject: { id: string; myRole: string; members: { role: string; user: { id: string } }[] } }>(
      alice,
      CREATE_PROJECT,
      { i: { name: 'llm-pretraining', description: 'scaling runs', metadata: { team: 'core', tier: { gpu: 'h100' } } } },
    );
    projectId = data.createProject.id;
    expect(data.createProject.myRole).toBe('OWNER');
    expect(data.createProject.members).toEqual([{ role: 'OWNER', user: { id: alice.id } }]);
    expect(await code(alice, CREATE_PROJECT, { i: { name: 'llm-pretraining' } })).toBe('CONFLICT');
    expect(await code(gateway, CREATE_PROJECT, { i: { name: 'by-a-service' } })).toBe('FORBIDDEN');
    await ok(bob, CREATE_PROJECT, { i: { name: 'bobs-sandbox', metadata: { team: 'evals' } } });
  });

  it('hides a project from non-members: NOT_FOUND by id, left out of lists', async () => {
    expect(await code(bob, PROJECT, { id: projectId })).toBe('NOT_FOUND');
    expect(await code(bob, UPDATE_PROJECT, { id: projectId, i: { description: 'x' } })).toBe('NOT_FOUND');
    expect(await code(bob, ADD, { p: projectId, u: bob.id, r: 'OWNER' })).toBe('NOT_FOUND');
    const list = await ok<{ projects: { totalCount: number; edges: { node: { name: string } }[] } }>(bob, PROJECTS);
    expect(list.projects.edges.map((e) => e.node.name)).toEqual(['bobs-sandbox']);
    expect(list.projects.totalCount).toBe(1);
    expect(await code(carol, PROJECT, { id: '00000000-0000-4000-8000-000000000000' })).toBe('NOT_FOUND');
    expect(await code(carol, PROJECT, { id: 'not-a-uuid' })).toBe('NOT_FOUND');
  });

  it('lets admins see every project, filter by metadata and search, and page', async () => {
    const all = await ok<{ projects: { totalCount: number } }>(admin, PROJECTS);
    expect(all.projects.totalCount).toBe(2);
    const byMeta = await ok<{ projects: { edges: { node: { name: string } }[] } }>(admin, PROJECTS, {
      f: { metadataContains: { tier: { gpu: 'h100' } } },
    });
    expect(byMeta.projects.edges.map((e) => e.node.name)).toEqual(['llm-pretraining']);
    const bySearch = await ok<{ projects: { edges: { node: { name: string } }[] } }>(admin, PROJECTS, {
      f: { search: 'SCALING' },
    });
    expect(bySearch.projects.edges.map((e) => e.node.name)).toEqual(['llm-pretraining']);
    const page1 = await ok<{
      projects: { edges: { node: { name: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string } };
    }>(admin, PROJECTS, { first: 1 });
    expect(page1.projects.pageInfo.hasNextPage).toBe(true);
    const page2 = await ok<{ projects: { edges: { node: { name: string } }[]; pageInfo: { hasNextPage: boolean } } }>(
      admin,
      PROJECTS,
      {
        first: 1,
        after: page1.projects.pageInfo.endCursor,
      },
    );
    expect(page2.projects.pageInfo.hasNextPage).toBe(false);
    expect([...page1.projects.edges, ...page2.projects.edges].map((e) => e.node.name).sort()).toEqual([
      'bobs-sandbox',
      'llm-pretraining',
    ]);
  });

  it('lets a VIEWER read but not write or manage members', async () => {
    await ok(alice, ADD, { p: projectId, u: bob.id, r: 'VIEWER' });
    expect(await code(alice, ADD, { p: projectId, u: bob.id, r: 'EDITOR' })).toBe('CONFLICT');
    expect((await ok<{ project: { myRole: string } }>(bob, PROJECT, { id: projectId })).project.myRole).toBe('VIEWER');
    expect(await code(bob, UPDATE_PROJECT, { id: projectId, i: { description: 'x' } })).toBe('FORBIDDEN');
    expect(await code(bob, ADD, { p: projectId, u: carol.id, r: 'VIEWER' })).toBe('FORBIDDEN');
    // now they share a project
    expect((await ok<{ user: { id: string } }>(bob, 'query($id: ID!) { user(id: $id) { id } }', { id: alice.id })).user.id).toBe(
      alice.id,
    );
  });

  it('lets an EDITOR write but not manage members', async () => {
    await ok(alice, UPDATE, { p: projectId, u: bob.id, r: 'EDITOR' });
    const updated = await ok<{ updateProject: { description: string } }>(bob, UPDATE_PROJECT, {
      id: projectId,
      i: { description: 'edited' },
    });
    expect(updated.updateProject.description).toBe('edited');
    expect(await code(bob, ADD, { p: projectId, u: carol.id, r: 'VIEWER' })).toBe('FORBIDDEN');
    expect(await code(bob, UPDATE, { p: projectId, u: bob.id, r: 'OWNER' })).toBe('FORBIDDEN');
    expect(await code(bob, REMOVE, { p: projectId, u: alice.id })).toBe('FORBIDDEN');
  });

  it('never leaves a project without an OWNER', async () => {
    expect(await code(alice, UPDATE, { p: projectId, u: alice.id, r: 'EDITOR' })).toBe('CONFLICT');
    expect(await code(alice, REMOVE, { p: projectId, u: alice.id })).toBe('CONFLICT');
    await ok(alice, UPDATE, { p: projectId, u: bob.id, r: 'OWNER' });
    await ok(alice, UPDATE, { p: projectId, u: alice.id, r: 'VIEWER' });
    expect((await ok<{ project: { myRole: string } }>(alice, PROJECT, { id: projectId })).project.myRole).toBe('VIEWER');
    expect(await code(bob, REMOVE, { p: projectId, u: bob.id })).toBe('CONFLICT');
    // a member may leave on their own; an unknown member is NOT_FOUND
    await ok(alice, REMOVE, { p: projectId, u: alice.id });
    expect(await code(alice, PROJECT, { id: projectId })).toBe('NOT_FOUND');
    expect(await code(bob, REMOVE, { p: projectId, u: carol.id })).toBe('NOT_FOUND');
    await ok(bob, ADD, { p: projectId, u: alice.id, r: 'OWNER' });
  });

  it('refuses bad input naming the field', async () => {
    const result = await gql(alice, CREATE_PROJECT, { i: { name: '  ' } });
    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(result.errors?.[0]?.message).toContain('input.name');
  });
});

describe('API keys', () => {
  let aliceKey: { secret: string; apiKey: { id: string; prefix: string } };

  it('are created with a secret shown once, listed without it', async () => {
    const data = await ok<{ createApiKey: typeof aliceKey & { apiKey: { scopes: string[]; active: boolean } } }>(
      alice,
      CREATE_KEY,
      {
        i: { name: 'laptop', scopes: ['metrics:write', 'registry:read'] },
      },
    );
    aliceKey = data.createApiKey;
    expect(aliceKey.secret).toMatch(API_KEY_PATTERN);
    expect(aliceKey.secret.startsWith(`${aliceKey.apiKey.prefix}_`)).toBe(true);
    expect(data.createApiKey.apiKey.scopes).toEqual(['metrics:write', 'registry:read']);
    const me = await ok<{ me: { apiKeys: Record<string, unknown>[] } }>(
      alice,
      '{ me { apiKeys { id prefix name scopes createdAt lastUsedAt expiresAt revokedAt } } }',
    );
    expect(me.me.apiKeys).toHaveLength(1);
    expect(JSON.stringify(me.me.apiKeys)).not.toContain(aliceKey.secret.slice(13));
    const { rows } = await db.query('SELECT hash, prefix FROM api_keys WHERE id = $1', [aliceKey.apiKey.id]);
    expect(rows[0]).toEqual({ hash: hashApiKey(aliceKey.secret), prefix: aliceKey.apiKey.prefix });
  });

  it('are listed only to their user and admins; created for others only by admins', async () => {
    expect(await code(bob, 'query($id: ID!) { user(id: $id) { apiKeys { id } } }', { id: alice.id })).toBe('FORBIDDEN');
    const asAdmin = await ok<{ user: { apiKeys: { id: string }[] } }>(
      admin,
      'query($id: ID!) { user(id: $id) { apiKeys { id } } }',
      {
        id: alice.id,
      },
    );
    expect(asAdmin.user.apiKeys.map((k) => k.id)).toEqual([aliceKey.apiKey.id]);
    expect(await code(alice, CREATE_KEY, { i: { name: 'for bob', userId: bob.id } })).toBe('FORBIDDEN');
    const forBob = await ok<{ createApiKey: { apiKey: { user: { id: string }; scopes: string[] } } }>(admin, CREATE_KEY, {
      i: { name: 'bob ci', userId: bob.id },
    });
    expect(forBob.createApiKey.apiKey).toMatchObject({ user: { id: bob.id }, scopes: ['*'] });
    expect(await code(alice, CREATE_KEY, { i: { name: 'bad', scopes: ['Not A Scope'] } })).toBe('BAD_USER_INPUT');
    const limited: Caller = { ...alice, scopes: ['registry:read'] };
    expect(await code(limited, CREATE_KEY, { i: { name: 'escalate', scopes: ['*'] } })).toBe('FORBIDDEN');
    const same = await ok<{ createApiKey: { apiKey: { scopes: string[] } } }>(limited, CREATE_KEY, { i: { name: 'same' } });
    expect(same.createApiKey.apiKey.scopes).toEqual(['registry:read']);
    expect(await code(alice, CREATE_KEY, { i: { name: 'old', expiresAt: '2001-01-01T00:00:00Z' } })).toBe('BAD_USER_INPUT');
  });

  it('authenticate the gateway (services only) and mark the key used at most once a minute', async () => {
    const hash = hashApiKey(aliceKey.secret);
    expect(await code(alice, AUTHENTICATE, { h: hash })).toBe('FORBIDDEN');
    expect(await code(admin, AUTHENTICATE, { h: hash })).toBe('FORBIDDEN');
    const found = await ok<{ _authenticate: unknown }>(gateway, AUTHENTICATE, { h: hash });
    expect(found._authenticate).toEqual({ userId: alice.id, isAdmin: false, scopes: ['metrics:write', 'registry:read'] });
    const first = (await db.query('SELECT last_used_at FROM api_keys WHERE id = $1', [aliceKey.apiKey.id])).rows[0].last_used_at;
    expect(first).toBeInstanceOf(Date);
    await ok(gateway, AUTHENTICATE, { h: hash });
    const second = (await db.query('SELECT last_used_at FROM api_keys WHERE id = $1', [aliceKey.apiKey.id])).rows[0].last_used_at;
    expect(second.getTime()).toBe(first.getTime());
    expect((await ok<{ _authenticate: unknown }>(gateway, AUTHENTICATE, { h: hashApiKey('lab_nope') }))._authenticate).toBeNull();
    expect(await code(gateway, AUTHENTICATE, { h: 'not-hex' })).toBe('BAD_USER_INPUT');
  });

  it('are revoked by their owner or an admin, idempotently, and then no longer authenticate', async () => {
    expect(await code(bob, REVOKE_KEY, { id: aliceKey.apiKey.id })).toBe('NOT_FOUND');
    const revoked = await ok<{ revokeApiKey: { revokedAt: string; active: boolean } }>(alice, REVOKE_KEY, {
      id: aliceKey.apiKey.id,
    });
    expect(revoked.revokeApiKey.active).toBe(false);
    const again = await ok<{ revokeApiKey: { revokedAt: string } }>(admin, REVOKE_KEY, { id: aliceKey.apiKey.id });
    expect(again.revokeApiKey.revokedAt).toBe(revoked.revokeApiKey.revokedAt);
    const found = await ok<{ _authenticate: unknown }>(gateway, AUTHENTICATE, { h: hashApiKey(aliceKey.secret) });
    expect(found._authenticate).toBeNull();
  });

  it('stop authenticating when they expire', async () => {
    const soon = new Date(Date.now() + 1500).toISOString();
    const data = await ok<{ createApiKey: { secret: string } }>(carol, CREATE_KEY, { i: { name: 'short', expiresAt: soon } });
    const hash = hashApiKey(data.createApiKey.secret);
    expect((await ok<{ _authenticate: { userId: string } }>(gateway, AUTHENTICATE, { h: hash }))._authenticate.userId).toBe(
      carol.id,
    );
    await new Promise((r) => setTimeout(r, 1700));
    expect((await ok<{ _authenticate: unknown }>(gateway, AUTHENTICATE, { h: hash }))._authenticate).toBeNull();
  });
});

describe('the acting API key', () => {
  const LIVE = 'query($ids: [ID!]!) { _liveApiKeys(ids: $ids) { apiKeyId userId isAdmin scopes expiresAt } }';
  /** A key of carol's, made by the admin, and the caller the gateway would sign for it. */
  async function keyOfCarol(input: { scopes?: string[]; expiresAt?: string } = {}) {
    const made = await ok<{ createApiKey: { apiKey: { id: string; scopes: string[] } } }>(admin, CREATE_KEY, {
      i: { name: 'acting', userId: carol.id, ...input },
    });
    const { id, scopes } = made.createApiKey.apiKey;
    const caller: Caller = {
      ...carol,
      scopes,
      apiKeyId: id,
      ...(input.expiresAt ? { expiresAt: Date.parse(input.expiresAt) } : {}),
    };
    return { id, caller };
  }
  const mint = (caller: Caller, input: Record<string, unknown> = {}) =>
    gql<{ createApiKey: { apiKey: { scopes: string[] } } }>(
      caller,
      'mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { apiKey { scopes expiresAt } } }',
      { i: { name: 'minted', ...input } },
    );

  it('is checked again when it acts: a revoked key mints, revokes and manages nothing', async () => {
    const { id, caller } = await keyOfCarol();
    expect((await mint(caller)).errors).toBeUndefined();
    await ok(admin, REVOKE_KEY, { id });
    expect(await code(caller, CREATE_KEY, { i: { name: 'after revocation' } })).toBe('UNAUTHENTICATED');
    expect(await code(caller, REVOKE_KEY, { id })).toBe('UNAUTHENTICATED');
    expect(await code(caller, REMOVE, { p: projectId, u: carol.id })).toBe('UNAUTHENTICATED');
    const other: Caller = { ...bob, apiKeyId: (await keyOfCarol()).id }; // another user's key
    expect(await code(other, CREATE_KEY, { i: { name: 'borrowed' } })).toBe('UNAUTHENTICATED');
  });

  it('passes its expiry on: left out, the new key expires with it; later or never is FORBIDDEN', async () => {
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
    const { caller } = await keyOfCarol({ expiresAt });
    expect((await mint(caller)).data?.createApiKey.apiKey).toEqual({ scopes: ['*'], expiresAt });
    const later = await mint(caller, { expiresAt: new Date(Date.parse(expiresAt) + 1000).toISOString() });
    expect(later.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(later.errors?.[0]?.message).toContain(expiresAt);
    const sooner = new Date(Date.parse(expiresAt) - 1000).toISOString();
    expect((await mint(caller, { expiresAt: sooner })).data?.createApiKey.apiKey).toMatchObject({ expiresAt: sooner });
    // A JWT's expiry (signed by the gateway, no key id) limits what it mints the same way.
    const token: Caller = { ...carol, expiresAt: Date.parse(expiresAt) };
    expect((await mint(token)).data?.createApiKey.apiKey).toMatchObject({ expiresAt });
    expect(await code({ ...carol, expiresAt: Date.now() - 1 }, CREATE_KEY, { i: { name: 'late' } })).toBe('UNAUTHENTICATED');
  });

  it('grants no scope it lacks, implied ones included', async () => {
    const { caller } = await keyOfCarol({ scopes: ['write', 'metrics:write'] });
    expect((await mint(caller, { scopes: ['read', 'metrics:write'] })).data?.createApiKey.apiKey.scopes).toEqual([
      'read',
      'metrics:write',
    ]);
    for (const scopes of [['admin'], ['*'], ['write', 'registry:read']]) {
      expect((await mint(caller, { scopes })).errors?.[0]?.extensions?.code, scopes.join(' ')).toBe('FORBIDDEN');
    }
  });

  it('is re-checked for the gateway in batches: _liveApiKeys answers the live ones, for services only', async () => {
    const live = await keyOfCarol({ scopes: ['read'] });
    const revoked = await keyOfCarol();
    await ok(admin, REVOKE_KEY, { id: revoked.id });
    expect(await code(admin, LIVE, { ids: [live.id] })).toBe('FORBIDDEN');
    const answer = await ok<{ _liveApiKeys: unknown[] }>(gateway, LIVE, { ids: [live.id, revoked.id, 'not-a-uuid'] });
    expect(answer._liveApiKeys).toEqual([
      { apiKeyId: live.id, userId: carol.id, isAdmin: false, scopes: ['read'], expiresAt: null },
    ]);
    const tooMany = Array.from({ length: 1001 }, () => live.id);
    expect(await code(gateway, LIVE, { ids: tooMany })).toBe('BAD_USER_INPUT');
  });
});

describe('_ownership', () => {
  it("answers each entity's project, parent and the signed caller's rights; nothing for unknown ids", async () => {
    const exp = await db.query(
      `INSERT INTO experiments (project_id, name, owner_id, updated_at) VALUES ($1, 'baseline', $2, now()) RETURNING id`,
      [projectId, alice.id],
    );
    const experimentId = exp.rows[0].id as string;
    const run = await db.query(
      `INSERT INTO runs (experiment_id, name, created_by_id, updated_at) VALUES ($1, 'run-1', $2, now()) RETURNING id`,
      [experimentId, alice.id],
    );
    const runId = run.rows[0].id as string;
    await ok(alice, ADD, { p: projectId, u: carol.id, r: 'VIEWER' });
    const unknown = '00000000-0000-4000-8000-000000000001';
    const refs = [
      { kind: 'PROJECT', id: projectId },
      { kind: 'EXPERIMENT', id: experimentId },
      { kind: 'RUN', id: runId.toUpperCase() },
      { kind: 'RUN', id: unknown },
      { kind: 'MODEL', id: unknown },
      { kind: 'DATASET_VERSION', id: 'garbage' },
    ];
    type Answer = { _ownership: Record<'projectId' | 'parentId' | 'canRead' | 'canWrite' | 'canManage', unknown>[] };
    const places = (a: Answer) => a._ownership.map((o) => [o.projectId, o.parentId]);
    const rights = (a: Answer) => a._ownership.map((o) => Object.values(o).slice(2).map(Number).join(''));
    const none = [null, null];
    const asCarol = await ok<Answer>(carol, OWNERSHIP, { r: refs });
    expect(places(asCarol)).toEqual([[projectId, null], [projectId, projectId], [projectId, experimentId], none, none, none]);
    expect(rights(asCarol)).toEqual(['100', '100', '100', '000', '000', '000']);
    const asAlice = await ok<Answer>(alice, OWNERSHIP, { r: refs });
    expect(rights(asAlice)).toEqual(['111', '111', '111', '000', '000', '000']);
    const outsider = await ok<{ createUser: { id: string } }>(admin, CREATE_USER, {
      i: { email: 'dave@lab.test', name: 'Dave' },
    });
    const asDave = await ok<Answer>(asUser(outsider.createUser.id), OWNERSHIP, { r: refs });
    expect(places(asDave)).toEqual([none, none, none, none, none, none]);
    expect(rights(asDave)).toEqual(['000', '000', '000', '000', '000', '000']);
    const asAdmin = await ok<Answer>(admin, OWNERSHIP, { r: refs });
    expect(places(asAdmin)).toEqual(places(asCarol));
    expect(rights(asAdmin)).toEqual(['111', '111', '111', '000', '000', '000']);
  });

  it('is what the shared registryAccess client asks, batched', async () => {
    const client = (caller: Caller) =>
      createRegistryAccess({ registryUrl: `${running.url}/graphql`, internalSecret: secret, requestId: 'access-test', caller });
    const asCarol = client(carol);
    expect(
      await Promise.all([
        asCarol.canRead('PROJECT', projectId),
        asCarol.canWrite('PROJECT', projectId),
        asCarol.canRead('RUN', projectId),
      ]),
    ).toEqual([true, false, false]);
    expect(await client(alice).canWrite('PROJECT', projectId)).toBe(true);
  });

  it('resolves Project references only for readers', async () => {
    const query = 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Project { id } } }';
    const r = [{ __typename: 'Project', id: projectId }];
    expect((await ok<{ _entities: unknown[] }>(carol, query, { r }))._entities).toEqual([{ id: projectId }]);
    const outsider = await ok<{ users: { edges: { node: { id: string; email: string } }[] } }>(
      admin,
      '{ users(filter: { search: "dave" }) { edges { node { id email } } } }',
    );
    const dave = asUser(outsider.users.edges[0]!.node.id);
    expect((await ok<{ _entities: unknown[] }>(dave, query, { r }))._entities).toEqual([null]);
  });
});
