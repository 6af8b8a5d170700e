import { CONTEXT_HEADER, createLogger, verifyContext } from '@lab/shared';
import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { chainAuthenticators } from './authenticate';
import { AUTHENTICATE_QUERY, registryAuthenticator, sha256Hex } from './registryAuthenticator';

const SECRET = 's'.repeat(32);
const KEY_A = `lab_AAAAAAAA_${'a'.repeat(40)}`;
const KEY_B = `lab_BBBBBBBB_${'b'.repeat(40)}`;
const USER_A = '11111111-1111-4111-8111-111111111111';
const log = createLogger('gateway', { logLevel: 'silent', logFormat: 'json' });

interface Seen {
  hash: string;
  caller: unknown;
}

/** A fake registry: knows KEY_A (a user) and KEY_B (an admin); records each call. */
function fakeRegistry(options: { down?: boolean; status?: number } = {}) {
  const seen: Seen[] = [];
  const fakeFetch = (async (_url: string, init: RequestInit) => {
    if (options.down) throw new TypeError('fetch failed');
    const headers = new Headers(init.headers);
    const body = JSON.parse(String(init.body)) as { query: string; variables: { keyHash: string } };
    const verdict = verifyContext(SECRET, headers.get(CONTEXT_HEADER) ?? undefined, body.query);
    if (!verdict.ok) throw new Error(verdict.reason);
    seen.push({ hash: body.variables.keyHash, caller: verdict.context.caller });
    if (options.status) return new Response(JSON.stringify({ errors: [{ message: 'db down' }] }), { status: options.status });
    const known: Record<string, unknown> = {
      [sha256Hex(KEY_A)]: { userId: USER_A, isAdmin: false, scopes: ['metrics:write'] },
      [sha256Hex(KEY_B)]: { userId: 'b', isAdmin: true, scopes: ['*'] },
    };
    return new Response(JSON.stringify({ data: { _authenticate: known[body.variables.keyHash] ?? null } }), { status: 200 });
  }) as unknown as typeof fetch;
  return { seen, fetch: fakeFetch };
}

function clock(start = 1_000_000) {
  const c = { t: start, now: () => c.t };
  return c;
}

describe('registryAuthenticator', () => {
  it('asks the registry as the gateway service with the key hash, never the key', async () => {
    const registry = fakeRegistry();
    const auth = registryAuthenticator({
      registryUrl: 'http://registry/graphql',
      internalSecret: SECRET,
      log,
      fetch: registry.fetch,
    });
    expect(await auth.authenticate(KEY_A)).toEqual({ id: USER_A, kind: 'user', scopes: ['metrics:write'] });
    expect(await auth.authenticate(KEY_B)).toEqual({ id: 'b', kind: 'admin', scopes: ['*'] });
    expect(registry.seen).toEqual([
      { hash: sha256Hex(KEY_A), caller: { id: 'gateway', kind: 'service', scopes: ['*'] } },
      { hash: sha256Hex(KEY_B), caller: { id: 'gateway', kind: 'service', scopes: ['*'] } },
    ]);
    expect(AUTHENTICATE_QUERY).toContain('_authenticate');
  });

  it('does not ask about keys that are not registry keys', async () => {
    const registry = fakeRegistry();
    const auth = registryAuthenticator({ registryUrl: 'http://r', internalSecret: SECRET, log, fetch: registry.fetch });
    expect(await auth.authenticate('some-other-key-entirely')).toBeUndefined();
    expect(registry.seen).toHaveLength(0);
  });

  it('caches live keys for 30 s and unknown keys for 5 s', async () => {
    const registry = fakeRegistry();
    const c = clock();
    const auth = registryAuthenticator({
      registryUrl: 'http://r',
      internalSecret: SECRET,
      log,
      fetch: registry.fetch,
      now: c.now,
    });
    const unknown = `lab_CCCCCCCC_${'c'.repeat(40)}`;
    await auth.authenticate(KEY_A);
    await auth.authenticate(unknown);
    c.t += 4_000;
    await auth.authenticate(KEY_A);
    await auth.authenticate(unknown);
    expect(registry.seen).toHaveLength(2);
    c.t += 2_000; // 6 s: the negative answer expired
    expect(await auth.authenticate(unknown)).toBeUndefined();
    await auth.authenticate(KEY_A);
    expect(registry.seen).toHaveLength(3);
    c.t += 25_000; // 31 s: the positive one too
    await auth.authenticate(KEY_A);
    expect(registry.seen).toHaveLength(4);
  });

  it('shares one registry call among concurrent requests with the same key', async () => {
    const registry = fakeRegistry();
    const auth = registryAuthenticator({ registryUrl: 'http://r', internalSecret: SECRET, log, fetch: registry.fetch });
    const callers = await Promise.all([1, 2, 3, 4].map(() => auth.authenticate(KEY_A)));
    expect(callers.every((c) => c?.id === USER_A)).toBe(true);
    expect(registry.seen).toHaveLength(1);
  });

  it('keeps at most maxEntries answers, dropping the least recently used', async () => {
    const registry = fakeRegistry();
    const auth = registryAuthenticator({
      registryUrl: 'http://r',
      internalSecret: SECRET,
      log,
      fetch: registry.fetch,
      maxEntries: 2,
    });
    await auth.authenticate(KEY_A);
    await auth.authenticate(KEY_B);
    await auth.authenticate(KEY_A); // A used last: B is the oldest
    await auth.authenticate(`lab_CCCCCCCC_${'c'.repeat(40)}`);
    expect(auth.size).toBe(2);
    await auth.authenticate(KEY_A);
    expect(registry.seen).toHaveLength(3);
    await auth.authenticate(KEY_B);
    expect(registry.seen).toHaveLength(4);
  });

  it('answers SERVICE_UNAVAILABLE (503) when the registry is down or failing, and caches nothing', async () => {
    for (const options of [{ down: true }, { status: 500 }]) {
      const registry = fakeRegistry(options);
      const auth = registryAuthenticator({ registryUrl: 'http://r', internalSecret: SECRET, log, fetch: registry.fetch });
      const err = await auth.authenticate(KEY_A).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(GraphQLError);
      expect((err as GraphQLError).extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', http: { status: 503 } });
      expect((err as GraphQLError).message).not.toContain(KEY_A);
      expect(auth.size).toBe(0);
    }
  });

  it('comes after the admin key in the chain', async () => {
    const registry = fakeRegistry({ down: true });
    const auth = registryAuthenticator({ registryUrl: 'http://r', internalSecret: SECRET, log, fetch: registry.fetch });
    const admin = {
      authenticate: async (key: string) => (key === 'admin' ? { id: 'admin', kind: 'admin' as const, scopes: ['*'] } : undefined),
    };
    const chain = chainAuthenticators(admin, auth);
    expect(await chain.authenticate('admin')).toMatchObject({ id: 'admin' });
    await expect(chain.authenticate(KEY_A)).rejects.toThrow(/registry is unavailable/);
  });
});
