/** The registry service end to end in one process: embedded PostgreSQL, the subgraph on a free port. */
import { type Caller, CONTEXT_HEADER, createLogger, loadConfig, signContext } from '@lab/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BOOTSTRAP_ADMIN_ID } from './constants';
import { startTempPostgres, type TempPostgres } from './db/tempPostgres';
import { type RunningRegistry, startRegistry } from './service';

const secret = 'x'.repeat(32);
const admin: Caller = { id: BOOTSTRAP_ADMIN_ID, kind: 'admin', scopes: ['*'] };
const service: Caller = { id: 'gateway', kind: 'service', scopes: ['*'] };
let server: TempPostgres;
let running: RunningRegistry;

function configFor(env: Record<string, string>) {
  return loadConfig({ LAB_INTERNAL_SECRET: secret, REGISTRY_PORT: '0', LOG_LEVEL: 'silent', ...env });
}
const log = createLogger('registry', { logLevel: 'silent', logFormat: 'json' });

async function gql(query: string, options: { caller?: Caller; signed?: boolean; variables?: unknown } = {}) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.signed !== false) {
    headers[CONTEXT_HEADER] = signContext(secret, { requestId: 'req-1', caller: options.caller ?? admin, query });
  }
  const res = await fetch(`${running.url}/graphql`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ query, variables: options.variables }),
  });
  return { status: res.status, body: (await res.json()) as { data?: Record<string, unknown>; errors?: unknown[] } };
}

beforeAll(async () => {
  server = await startTempPostgres();
  running = await startRegistry(configFor({ DATABASE_URL: server.databaseUrl('lab'), LAB_ADMIN_API_KEY: 'k'.repeat(24) }), log);
});

afterAll(async () => {
  await running?.stop();
  await server?.stop();
});

describe('registry service on embedded PostgreSQL', () => {
  it('answers me with the bootstrap admin it created', async () => {
    const { status, body } = await gql('{ me { id email name isAdmin createdAt } }');
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    const me = body.data?.me as { id: string; isAdmin: boolean; createdAt: string } | undefined;
    expect(me).toMatchObject({ id: BOOTSTRAP_ADMIN_ID, isAdmin: true });
    expect(new Date(String(me?.createdAt)).toISOString()).toBe(me?.createdAt);
  });

  it('answers me with null for a caller that is not a user', async () => {
    const { body } = await gql('{ me { id } }', { caller: service });
    expect(body.errors).toBeUndefined();
    expect(body.data?.me).toBeNull();
  });

  it('resolves User references for the gateway, null where unknown', async () => {
    const query = 'query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id email } } }';
    const unknown = '00000000-0000-4000-8000-0000000000ff';
    const { body } = await gql(query, {
      variables: {
        r: [
          { __typename: 'User', id: BOOTSTRAP_ADMIN_ID },
          { __typename: 'User', id: unknown },
        ],
      },
    });
    expect(body.errors).toBeUndefined();
    expect(body.data?._entities).toEqual([{ id: BOOTSTRAP_ADMIN_ID, email: 'admin@lab.local' }, null]);
  });

  it('answers registryStatus from PostgreSQL', async () => {
    const { body } = await gql('{ registryStatus { service store serverVersion latencyMs } }');
    expect(body.errors).toBeUndefined();
    expect(body.data?.registryStatus).toMatchObject({
      service: 'registry',
      store: 'postgresql',
      serverVersion: expect.stringMatching(/^\d+\.\d+/),
    });
  });

  it('refuses unsigned requests', async () => {
    const { status } = await gql('{ me { id } }', { signed: false });
    expect(status).toBe(401);
  });

  it('reports PostgreSQL up on /health', async () => {
    const res = await fetch(`${running.url}/health`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { service: string; components: Record<string, { status: string }> };
    expect(body).toMatchObject({ service: 'registry', components: { postgresql: { status: 'up' } } });
  });

  it('refuses to start without DATABASE_URL or the internal secret', async () => {
    await expect(startRegistry(configFor({}), log)).rejects.toThrow(/DATABASE_URL is not set/);
    const noSecret = loadConfig({ DATABASE_URL: server.databaseUrl('lab'), LOG_LEVEL: 'silent' });
    await expect(startRegistry(noSecret, log)).rejects.toThrow(/LAB_INTERNAL_SECRET is not set/);
  });
});
