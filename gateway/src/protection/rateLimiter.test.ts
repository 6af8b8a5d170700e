/** The rate limit per caller: bursts, refill, Retry-After, the buckets kept, and its RATE_LIMITED error. */
import { describe, expect, it } from 'vitest';
import { createRateLimiter, rateLimitedError } from './rateLimiter';

function clock() {
  let ms = 1_000;
  return {
    now: () => ms,
    advance: (by: number) => {
      ms += by;
    },
  };
}

describe('createRateLimiter', () => {
  it('lets a burst through, then refuses with the seconds until the next token', () => {
    const time = clock();
    const limiter = createRateLimiter({ perSecond: 2, burst: 3, now: time.now });
    expect([1, 2, 3].map(() => limiter.take('u1', 'graphql').allowed)).toEqual([true, true, true]);
    expect(limiter.take('u1', 'graphql')).toEqual({ allowed: false, retryAfterSeconds: 1 });
    time.advance(500); // one token back at 2 per second
    expect(limiter.take('u1', 'graphql').allowed).toBe(true);
    expect(limiter.take('u1', 'graphql').allowed).toBe(false);
  });

  it('keeps one bucket per caller', () => {
    const time = clock();
    const limiter = createRateLimiter({ perSecond: 1, burst: 1, now: time.now });
    expect(limiter.take('a', 'graphql').allowed).toBe(true);
    expect(limiter.take('a', 'ingest').allowed).toBe(false);
    expect(limiter.take('b', 'graphql').allowed).toBe(true);
  });

  it('rounds Retry-After up to whole seconds at slow rates', () => {
    const time = clock();
    const limiter = createRateLimiter({ perSecond: 0.1, burst: 1, now: time.now });
    limiter.take('a', 'graphql');
    expect(limiter.take('a', 'graphql')).toEqual({ allowed: false, retryAfterSeconds: 10 });
    time.advance(4_000);
    expect(limiter.take('a', 'graphql')).toEqual({ allowed: false, retryAfterSeconds: 6 });
  });

  it('never holds more than the burst, however long the caller was idle', () => {
    const time = clock();
    const limiter = createRateLimiter({ perSecond: 10, burst: 2, now: time.now });
    time.advance(3_600_000);
    expect([1, 2, 3].map(() => limiter.take('a', 'graphql').allowed)).toEqual([true, true, false]);
  });

  it('keeps at most maxCallers buckets (the least recent is forgotten, i.e. full again)', () => {
    const time = clock();
    const limiter = createRateLimiter({ perSecond: 1, burst: 1, maxCallers: 2, now: time.now });
    limiter.take('a', 'graphql');
    limiter.take('b', 'graphql');
    limiter.take('c', 'graphql');
    expect(limiter.take('a', 'graphql').allowed).toBe(true);
    expect(limiter.take('c', 'graphql').allowed).toBe(false);
  });

  it('reports each refusal', () => {
    const refused: string[] = [];
    const limiter = createRateLimiter({
      perSecond: 1,
      burst: 1,
      now: clock().now,
      onLimited: (id, route) => refused.push(`${id}/${route}`),
    });
    limiter.take('a', 'ingest');
    limiter.take('a', 'ingest');
    expect(refused).toEqual(['a/ingest']);
  });

  it('is off at 0 per second', () => {
    const limiter = createRateLimiter({ perSecond: 0, burst: 1 });
    expect(limiter.enabled).toBe(false);
    for (let i = 0; i < 10; i++) expect(limiter.take('a', 'graphql').allowed).toBe(true);
  });

  it("wraps Apollo's context function: the caller's token is taken once the caller is known", async () => {
    const limiter = createRateLimiter({ perSecond: 1, burst: 1, now: clock().now });
    const context = limiter.context(async (id: string) => ({ caller: { id, kind: 'user' as const, scopes: [] } }));
    await expect(context('a')).resolves.toMatchObject({ caller: { id: 'a' } });
    await expect(context('a')).rejects.toMatchObject({ extensions: { code: 'RATE_LIMITED', retryAfter: 1 } });
    await expect(context('b')).resolves.toBeDefined();
  });

  it('refuses with RATE_LIMITED, HTTP 429 and Retry-After', () => {
    const error = rateLimitedError('slow down', 3);
    expect(error.extensions.code).toBe('RATE_LIMITED');
    expect(error.extensions.retryAfter).toBe(3);
    const http = error.extensions.http as { status: number; headers: Map<string, string> };
    expect(http.status).toBe(429);
    expect(http.headers.get('retry-after')).toBe('3');
  });
});
