/** Failed authentications per client address: the budget, what spends it, what is let through, and the address unit. */
import { type Caller, labHttpError } from '@lab/shared';
import type { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import type { Authenticator } from './authenticate';
import { addressKey, authFailureLimit } from './authFailureLimit';

const GOOD: Caller = { id: 'u', kind: 'user', scopes: ['*'] };

/** Knows `good` (in memory: `cached`) and `fresh` (needs a check); counts the checks made; `down` answers 503. */
function authenticator(): Authenticator & { checks: number } {
  const a = {
    checks: 0,
    async authenticate(key: string) {
      a.checks++;
      if (key === 'down') throw labHttpError('SERVICE_UNAVAILABLE', 'registry down');
      return key === 'good' || key === 'fresh' ? GOOD : undefined;
    },
    known: (key: string) => (key === 'good' ? GOOD : undefined),
  };
  return a;
}

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (err: unknown) => err as GraphQLError,
  );

describe('authFailureLimit', () => {
  it('checks at most the burst of bad credentials from an address, then answers 429 RATE_LIMITED before any check', async () => {
    const clock = { t: 0 };
    const limit = authFailureLimit({ perSecond: 0.5, burst: 3, now: () => clock.t });
    const auth = authenticator();
    for (let i = 0; i < 3; i++) {
      expect((await refusal(limit.authenticate(auth, 'Bearer bad', '10.0.0.1')))?.extensions?.code).toBe('UNAUTHENTICATED');
    }
    const limited = await refusal(limit.authenticate(auth, 'Bearer bad', '10.0.0.1'));
    expect(limited?.extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfter: 2, http: { status: 429 } });
    expect(limited?.message).toBe(
      'Too many failed authentications from this address: 0.5 per second with bursts of 3; retry after 2 s',
    );
    expect(auth.checks).toBe(3);
    // Another address has its own budget; a credential known good from memory passes anyway.
    expect((await refusal(limit.authenticate(auth, 'Bearer bad', '10.0.0.2')))?.extensions?.code).toBe('UNAUTHENTICATED');
    await expect(limit.authenticate(auth, 'Bearer good', '10.0.0.1')).resolves.toEqual(GOOD);
    // Even a good key that needs a check waits; after Retry-After it passes.
    expect((await refusal(limit.authenticate(auth, 'Bearer fresh', '10.0.0.1')))?.extensions?.code).toBe('RATE_LIMITED');
    clock.t += 2_000;
    await expect(limit.authenticate(auth, 'Bearer fresh', '10.0.0.1')).resolves.toEqual(GOOD);
  });

  it('spends nothing on credentials that prove good, on the registry being down, or on a missing header', async () => {
    const limit = authFailureLimit({ perSecond: 1, burst: 1, now: () => 0 });
    const auth = authenticator();
    for (let i = 0; i < 5; i++) await expect(limit.authenticate(auth, 'Bearer fresh', '10.0.0.3')).resolves.toEqual(GOOD);
    for (let i = 0; i < 5; i++) {
      expect((await refusal(limit.authenticate(auth, 'Bearer down', '10.0.0.3')))?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
    }
    for (let i = 0; i < 5; i++) {
      expect((await refusal(limit.authenticate(auth, undefined, '10.0.0.3')))?.extensions?.code).toBe('UNAUTHENTICATED');
    }
    expect((await refusal(limit.authenticate(auth, 'Bearer bad', '10.0.0.3')))?.extensions?.code).toBe('UNAUTHENTICATED');
    expect((await refusal(limit.authenticate(auth, 'Bearer bad', '10.0.0.3')))?.extensions?.code).toBe('RATE_LIMITED');
  });

  it('is off at 0 per second', async () => {
    const limit = authFailureLimit({ perSecond: 0 });
    const auth = authenticator();
    for (let i = 0; i < 50; i++) await refusal(limit.authenticate(auth, 'Bearer bad', '10.0.0.4'));
    expect(auth.checks).toBe(50);
  });

  it('counts IPv4 addresses whole (mapped ones too) and IPv6 ones by their /64', () => {
    expect(addressKey('192.0.2.7')).toBe('192.0.2.7');
    expect(addressKey('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8:1:2:bbbb:cccc:dddd:eeee')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(addressKey(undefined)).toBe('unknown');
  });
});
