/** API keys checked with a fake registry: caching, expiry, revocation re-checks, unknown keys, the registry being down. */
import { CONTEXT_HEADER, createLogger, verifyContext } from '@lab/shared';
import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { chainAuthenticators } from './authenticate';
import { AUTHENTICATE_QUERY, type KeyStates, registryAuthenticator, sha256Hex } from './registryAuthenticator';

const SECRET = 's'.repeat(32);
const KEY_A = `lab_AAAAAAAA_${'a'.repeat(40)}`;
const KEY_B = `lab_BBBBBBBB_${'b'.repeat(40)}`;
const USER_A = '11111111-1111-4111-8111-111111111111';
const log = createLogger('gateway', { logLevel: 'silent', logFormat: 'json' });

interface Seen {
  hash?: string;
  ids?: string[];
  caller: unknown;
}

const KEY_ID_A = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const KEY_ID_B = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb';

/** A stand-in registry: knows KEY_A (a user's) and KEY_B (an admin's) until told otherwise; records each call. */
function fakeRegistry(options: { down?: boolean; status?: number } = {}) {
  const seen: Seen[] = [];
  const keys = new Map<string, Record<string, unknown>>([
    [sha256Hex(KEY_A), { apiKeyId: KEY_ID_A, userId: USER_A, isAdmin: false, scopes: ['metrics:write'], expiresAt: null }],
    [sha256Hex(KEY_B), { apiKeyId: KEY_ID_B, userId: 'b', isAdmin: true, scopes: ['*'], expiresAt: null }],
  ]);
  const fakeFetch = (async (_url: string, init: RequestInit) => {
    if (options.down) throw new TypeError('fetch failed');
    const headers = new Headers(init.headers);
    const body = JSON.parse(String(init.body)) as { query: string; variables: { keyHash?: string; ids?: string[] } };
    const verdict = verifyContext(SECRET, headers.get(CONTEXT_HEADER) ?? undefined, body.query);
    if (!verdict.ok) throw new Error(verdict.reason);
    if (options.status) return new Response(JSON.stringify({ errors: [{ message: 'db down' }] }), { status: options.status });
    const { keyHash, ids } = body.variables;
    if (ids) {
      seen.push({ ids, caller: verdict.context.caller });
      const live = [...keys.values()].filter((k) => ids.includes(k.apiKeyId as string));
      return new Response(JSON.stringify({ data: { _liveApiKeys: live } }), { status: 200 });
    }
    seen.push({ hash: keyHash, caller: verdict.context.caller });
    return new Response(JSON.stringify({ data: { _authenticate: keys.get(keyHash as string) ?? null } }), { status: 200 });
  }) as unknown as typeof fetch;
  return { seen, keys, fetch: fakeFetch };
}

function clock(start = 1_000_000) {
  const c = { t: start, now: () => c.t };
  return c;
}

const lookups = (seen: Seen[]) => seen.filter((s) => s.hash !== undefined).length;

describe('registryAuthenticator', () => {
  it('asks the registry as the gateway service with the key hash, never the key', async () => {
    const registry = fakeRegistry();
    const auth = registryAuthenticator({
      registryUrl: 'http://registry/graphql',
      internalSecret: SECRET,
      log,
      fetch: registry.fetch,
      revalidateIntervalMs: 0,
    });
    expect(await auth.authenticate(KEY_A)).toEqual({ id: USER_A, kind: 'user', scopes: ['metrics:write'], apiKeyId: KEY_ID_A });
    expect(await auth.authenticate(KEY_B)).toEqual({ id: 'b', kind: 'admin', scopes: ['*'], apiKeyId: KEY_ID_B });
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
    auth.close();
  });

  it('uses a live answer for 5 s without the registry confirming it, and remembers an unknown key for 3 s', async () => {
    const registry = fakeRegistry();
    const c = clock();
    const auth = registryAuthenticator({
      registryUrl: 'http://r',
      internalSecret: SECRET,
      log,
      fetch: registry.fetch,
      now: c.now,
      revalidateIntervalMs: 0,
    });
    const unknown = `lab_CCCCCCCC_${'c'.repeat(40)}`;
    await auth.authenticate(KEY_A);
    for (let i = 0; i < 20; i++) expect(await auth.authenticate(unknown)).toBeUndefined();
    expect(auth.known(KEY_A)).toMatchObject({ id: USER_A });
    expect(auth.known(unknown)).toBeUndefined();
    c.t += 2_900;
    await auth.authenticate(KEY_A);
    await auth.authenticate(unknown);
    expect(lookups(registry.seen)).toBe(2);
    c.t += 200; // 3.1 s: the unknown key is asked about again
    expect(await auth.authenticate(unknown)).toBeUndefined();
    expect(lookups(registry.seen)).toBe(3);
    c.t += 2_000; // 5.1 s: the live answer is stale, asked again
    expect(auth.known(KEY_A)).toBeUndefined();
    await auth.authenticate(KEY_A);
    expect(lookups(registry.seen)).toBe(4);
  });

  it('lets a key refused before the registry knew it work within 3 s', async () => {
    const registry = fakeRegistry();
    const c = clock();
    const auth = registryAuthenticator({
      registryUrl: 'http://r',
      internalSecret: SECRET,
      log,
      fetch: registry.fetch,
      now: c.now,
    });
    const fresh = `lab_FFFFFFFF_${'f'.repeat(40)}`;
    expect(await auth.authenticate(fresh)).toBeUndefined();
    registry.keys.set(sha256Hex(fresh), { apiKeyId: 'f', userId: USER_A, isAdmin: false, scopes: ['*'], expiresAt: null });
    c.t += 3_000;
    expect(await auth.authenticate(fresh)).toMatchObject({ id: USER_A });
    auth.close();
  });

  it('refuses a cached key the second it expires, without asking', async () => {
    const registry = fakeRegistry();
    const c = clock(Date.parse('2030-01-01T00:00:00Z'));
    const expiresAt = '2030-01-01T00:00:03.000Z';
    registry.keys.set(sha256Hex(KEY_A), { apiKeyId: KEY_ID_A, userId: USER_A, isAdmin: false, scopes: ['read'], expiresAt });
    const auth = registryAuthenticator({
      registryUrl: 'http://r',
      internalSecret: SECRET,
      log,
      fetch: registry.fetch,
      now: c.now,
    });
    expect(await auth.authenticate(KEY_A)).toMatchObject({ expiresAt: Date.parse(expiresAt) });
    c.t = Date.parse(expiresAt) - 1;
    expect(await auth.authenticate(KEY_A)).toMatchObject({ id: USER_A });
    c.t = Date.parse(expiresAt);
    expect(auth.known(KEY_A)).toBeUndefined();
    expect(await auth.authenticate(KEY_A)).toBeUndefined();
    expect(lookups(registry.seen)).toBe(2); // asked again once the entry was dropped; the answer (still live there) is refused here too
    auth.close();
  });

  it('re-checks cached and watched keys in one batched call; a revoked key is dropped and its watchers told', async () => {
    const registry = fakeRegistry();
    const auth = registryAuthenticator({
      registryUrl: 'http://r',
      internalSecret: SECRET,
      log,
      fetch: registry.fetch,
      revalidateIntervalMs: 0,
    });
    const told: KeyStates[] = [];
    auth.onRecheck((states) => told.push(states));
    await auth.authenticate(KEY_A);
    await auth.authenticate(KEY_B);
    const unwatch = auth.watch(KEY_ID_A);
    auth.watch('cccccccc-cccc-4ccc-8ccc-cccccccccccc'); // held by a socket, no longer cached
    registry.keys.delete(sha256Hex(KEY_A)); // revoked
    await auth.revalidate();
    const batch = registry.seen.filter((s) => s.ids);
    expect(batch).toHaveLength(1);
    expect(new Set(batch[0]?.ids)).toEqual(new Set([KEY_ID_A, KEY_ID_B, 'cccccccc-cccc-4ccc-8ccc-cccccccccccc']));
    expect(told.at(-1)).toEqual(
      new Map([
        [KEY_ID_A, undefined],
        ['cccccccc-cccc-4ccc-8ccc-cccccccccccc', undefined],
      ]),
    );
    expect(auth.known(KEY_A)).toBeUndefined();
    expect(auth.known(KEY_B)).toMatchObject({ id: 'b' });
    expect(await auth.authenticate(KEY_A)).toBeUndefined();
    unwatch();
  });

  it('keeps live keys cached while a flood of unknown ones passes', async () => {
    const registry = fakeRegistry();
    const auth = registryAuthenticator({
      registryUrl: 'http://r',
      internalSecret: SECRET,
      log,
      fetch: registry.fetch,
      maxEntries: 10,
      maxNegativeEntries: 10,
      revalidateIntervalMs: 0,
    });
    await auth.authenticate(KEY_A);
    for (let i = 0; i < 50; i++) await auth.authenticate(`lab_DDDDDDDD_${String(i).padStart(40, 'd')}`);
    expect(auth.known(KEY_A)).toMatchObject({ id: USER_A });
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
    const keyC = `lab_CCCCCCCC_${'c'.repeat(40)}`;
    registry.keys.set(sha256Hex(keyC), { apiKeyId: 'c', userId: 'c', isAdmin: false, scopes: ['*'], expiresAt: null });
    await auth.authenticate(KEY_A);
    await auth.authenticate(KEY_B);
    await auth.authenticate(KEY_A); // A used last: B is the oldest
    await auth.authenticate(keyC);
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
