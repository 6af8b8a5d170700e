/** Bearer keys, the bootstrap admin key compared in constant time, and the chain of authenticators. */
import * as crypto from 'node:crypto';
import { GraphQLError } from 'graphql';
import { describe, expect, it, vi } from 'vitest';
import { BOOTSTRAP_ADMIN_ID } from '../constants';
import { adminKeyAuthenticator, authenticateRequest, bearerKey, chainAuthenticators } from './authenticate';

vi.mock('node:crypto', async (importOriginal) => {
  const original = await importOriginal<typeof crypto>();
  return { ...original, timingSafeEqual: vi.fn(original.timingSafeEqual) };
});

const KEY = 'admin-key-0123456789abcdef';

async function failure(promise: Promise<unknown>): Promise<GraphQLError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GraphQLError);
  return err as GraphQLError;
}

describe('bearerKey', () => {
  it('takes the key of a Bearer header, any case of the scheme', () => {
    expect(bearerKey(`Bearer ${KEY}`)).toBe(KEY);
    expect(bearerKey(`bearer ${KEY}`)).toBe(KEY);
    expect(bearerKey(`  BEARER   ${KEY} `)).toBe(KEY);
  });
  it('refuses anything else', () => {
    for (const header of [undefined, '', 'Bearer', 'Bearer ', `Basic ${KEY}`, `Bearer ${KEY} extra`, KEY]) {
      expect(bearerKey(header), String(header)).toBeUndefined();
    }
  });
});

describe('adminKeyAuthenticator', () => {
  it('turns the admin key into the bootstrap admin with every scope', async () => {
    const caller = await adminKeyAuthenticator(KEY).authenticate(KEY);
    expect(caller).toEqual({ id: BOOTSTRAP_ADMIN_ID, kind: 'admin', scopes: ['*'] });
  });

  it('knows no other key: not a prefix, not a longer one, not another case', async () => {
    const auth = adminKeyAuthenticator(KEY);
    for (const key of [KEY.slice(0, -1), `${KEY}x`, KEY.toUpperCase(), 'x', '']) {
      expect(await auth.authenticate(key), key).toBeUndefined();
    }
  });

  it('compares in constant time: always timingSafeEqual over equal-length digests', async () => {
    const spy = vi.mocked(crypto.timingSafeEqual);
    spy.mockClear();
    const auth = adminKeyAuthenticator(KEY);
    for (const key of ['x', KEY.slice(0, -1), KEY, `${KEY}${'y'.repeat(500)}`]) await auth.authenticate(key);
    expect(spy).toHaveBeenCalledTimes(4);
    for (const [a, b] of spy.mock.calls) {
      expect((a as Buffer).length).toBe(32);
      expect((b as Buffer).length).toBe(32);
    }
  });

  it('lets nobody in when no admin key is configured', async () => {
    expect(await adminKeyAuthenticator(undefined).authenticate('')).toBeUndefined();
    expect(await adminKeyAuthenticator(undefined).authenticate(KEY)).toBeUndefined();
  });
});

describe('authenticateRequest', () => {
  const auth = adminKeyAuthenticator(KEY);

  it('returns the caller of a valid key', async () => {
    await expect(authenticateRequest(auth, `Bearer ${KEY}`)).resolves.toMatchObject({ id: BOOTSTRAP_ADMIN_ID });
  });

  it('fails a missing, malformed or wrong key with a 401 UNAUTHENTICATED error', async () => {
    for (const header of [undefined, `Basic ${KEY}`, 'Bearer wrong-key-0123456789']) {
      const err = await failure(authenticateRequest(auth, header));
      expect(err.extensions.code, String(header)).toBe('UNAUTHENTICATED');
      expect(err.extensions.http).toEqual({ status: 401 });
      expect(err.message).not.toContain(KEY);
    }
  });

  it('fails every key when no admin key is configured', async () => {
    const err = await failure(authenticateRequest(adminKeyAuthenticator(undefined), `Bearer ${KEY}`));
    expect(err.extensions.code).toBe('UNAUTHENTICATED');
  });
});

describe('chainAuthenticators', () => {
  it('asks each authenticator in turn; the first that knows the key wins', async () => {
    const user = { id: 'u1', kind: 'user' as const, scopes: ['read'] };
    const registry = { authenticate: vi.fn(async (key: string) => (key === 'user-key' ? user : undefined)) };
    const chain = chainAuthenticators(adminKeyAuthenticator(KEY), registry);
    expect(await chain.authenticate(KEY)).toMatchObject({ kind: 'admin' });
    expect(registry.authenticate).not.toHaveBeenCalled();
    expect(await chain.authenticate('user-key')).toEqual(user);
    expect(await chain.authenticate('nobody')).toBeUndefined();
  });
});
