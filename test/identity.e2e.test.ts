/**
 * Identity through the gateway: API keys kept in the registry authenticate
 * their users, project roles decide what each sees, revoked keys are refused,
 * and no secret reaches a log.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform } from './support/testPlatform';

let platform: TestPlatform;
const secrets: string[] = [];

interface Created {
  createApiKey: { secret: string; apiKey: { id: string; prefix: string } };
}

const CREATE_USER = 'mutation($i: CreateUserInput!) { createUser(input: $i) { id } }';
const CREATE_KEY = 'mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { secret apiKey { id prefix } } }';
const PROJECT = 'query($id: ID!) { project(id: $id) { id name myRole members { role user { email } } } }';

async function data<T>(query: string, variables?: Record<string, unknown>, key?: string): Promise<T> {
  const { status, body } = await platform.gql<T>(query, variables, key === undefined ? {} : { key });
  expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
  expect(status).toBe(200);
  return body.data as T;
}

async function keyFor(userId: string, name: string): Promise<Created['createApiKey']> {
  const created = (await data<Created>(CREATE_KEY, { i: { name, userId } })).createApiKey;
  secrets.push(created.secret);
  return created;
}

describe('identity through the gateway', () => {
  let alice: { id: string; key: string };
  let bob: { id: string; key: string };
  let projectId: string;

  beforeAll(async () => {
    platform = await startTestPlatform();
    const a = await data<{ createUser: { id: string } }>(CREATE_USER, { i: { email: 'alice@lab.test', name: 'Alice' } });
    const b = await data<{ createUser: { id: string } }>(CREATE_USER, { i: { email: 'bob@lab.test', name: 'Bob' } });
    alice = { id: a.createUser.id, key: (await keyFor(a.createUser.id, 'alice laptop')).secret };
    bob = { id: b.createUser.id, key: (await keyFor(b.createUser.id, 'bob laptop')).secret };
    const project = await data<{ createProject: { id: string } }>(
      'mutation($i: CreateProjectInput!) { createProject(input: $i) { id } }',
      { i: { name: 'e2e-identity', description: 'made by the admin', metadata: { team: 'core' } } },
    );
    projectId = project.createProject.id;
    await data('mutation($p: ID!, $u: ID!) { addProjectMember(projectId: $p, userId: $u, role: OWNER) { role } }', {
      p: projectId,
      u: alice.id,
    });
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
  });

  it("authenticates a user's API key as that user", async () => {
    const me = await data<{ me: { id: string; isAdmin: boolean; apiKeys: { name: string; lastUsedAt: string | null }[] } }>(
      '{ me { id isAdmin apiKeys { name lastUsedAt } } }',
      undefined,
      alice.key,
    );
    expect(me.me).toMatchObject({ id: alice.id, isAdmin: false });
    expect(me.me.apiKeys.map((k) => k.name)).toEqual(['alice laptop']);
  });

  it('shows the project to its OWNER', async () => {
    const seen = await data<{ project: { myRole: string; members: { role: string; user: { email: string } }[] } }>(
      PROJECT,
      { id: projectId },
      alice.key,
    );
    expect(seen.project.myRole).toBe('OWNER');
    expect(seen.project.members).toContainEqual({ role: 'OWNER', user: { email: 'alice@lab.test' } });
    const list = await data<{ projects: { totalCount: number; edges: { node: { id: string } }[] } }>(
      '{ projects { totalCount edges { node { id } } } }',
      undefined,
      alice.key,
    );
    expect(list.projects.edges.map((e) => e.node.id)).toEqual([projectId]);
  });

  it('hides the project from a non-member: NOT_FOUND by id, an empty list', async () => {
    const { body } = await platform.gql(PROJECT, { id: projectId }, { key: bob.key });
    expect(body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const list = await data<{ projects: { totalCount: number; edges: unknown[] } }>(
      '{ projects { totalCount edges { node { id } } } }',
      undefined,
      bob.key,
    );
    expect(list.projects).toEqual({ totalCount: 0, edges: [] });
  });

  it('refuses admin-only mutations to a user key', async () => {
    const { body } = await platform.gql(CREATE_USER, { i: { email: 'eve@lab.test', name: 'Eve' } }, { key: bob.key });
    expect(body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('refuses a revoked key, and an unknown one, with 401 UNAUTHENTICATED', async () => {
    const revoked = await keyFor(bob.id, 'to revoke');
    await data('mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }', { id: revoked.apiKey.id }, bob.key);
    for (const key of [revoked.secret, `${revoked.apiKey.prefix}_${'x'.repeat(40)}`]) {
      const { status, body } = await platform.gql('{ me { id } }', undefined, { key });
      expect(status).toBe(401);
      expect(body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
  });

  it('keeps the internal fields out of the public schema', async () => {
    const { body } = await platform.gql('{ _authenticate(keyHash: "00") { userId } }');
    expect(body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('never logs an API key secret', async () => {
    await new Promise((r) => setTimeout(r, 300));
    const logDir = path.join(platform.dataDir, 'logs');
    const logs = readdirSync(logDir).map((file) => [file, readFileSync(path.join(logDir, file), 'utf8')] as const);
    expect(logs.length).toBeGreaterThan(0);
    for (const [file, text] of logs) {
      for (const secret of secrets) expect(text.includes(secret), `${file} contains a secret`).toBe(false);
    }
  });

  it('answers 503 SERVICE_UNAVAILABLE, not 401, for a key it cannot check while the registry is down', async () => {
    await platform.services.registry.stop('SIGKILL');
    const unchecked = `lab_Zz012345_${'q'.repeat(40)}`;
    const { status, body } = await platform.gql('{ metricsStatus { store } }', undefined, { key: unchecked });
    expect(status).toBe(503);
    expect(body.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
    // the bootstrap admin key does not need the registry
    const admin = await platform.gql<{ metricsStatus: { store: string } }>('{ metricsStatus { store } }');
    expect(admin.status).toBe(200);
    expect(admin.body.data?.metricsStatus.store).toBeTruthy();
  });
});
