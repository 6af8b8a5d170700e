/**
 * What gateways share through a real Redis: one caller's rate limit across
 * two gateways, APQ queries registered through one found by the other, and
 * each gateway falling back to its own buckets while Redis is down.
 */
import { redisRequirement, startTestRedis, type TestRedis } from '@lab/stack/testing';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPersistedQueries, type KeyValueCache } from './persistedQueries';
import { createRateLimiter, type RateLimiter } from './rateLimiter';
import { type GatewaySharedState, openSharedState } from './sharedState';

const requirement = redisRequirement();

interface Gateway {
  state: GatewaySharedState;
  limiter: RateLimiter;
  apq: KeyValueCache;
  warnings: string[];
}

function gateway(url: string, burst: number): Gateway {
  const warnings: string[] = [];
  const log = pino({ level: 'warn' }, { write: (line: string) => warnings.push((JSON.parse(line) as { msg: string }).msg) });
  const state = openSharedState({ redis: { url } }, log);
  const limiter = createRateLimiter({ perSecond: 0.001, burst, shared: state.rateLimit });
  const persisted = createPersistedQueries({}, state.queryCache);
  if (!persisted.persistedQueries) throw new Error('APQ is off');
  return { state, limiter, apq: persisted.persistedQueries.cache as KeyValueCache, warnings };
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(requirement !== 'run')(`gateways sharing state through Redis (${requirement})`, () => {
  let redis: TestRedis;
  let a: Gateway;
  let b: Gateway;
  const BURST = 6;

  beforeAll(async () => {
    redis = await startTestRedis();
    a = gateway(redis.url, BURST);
    b = gateway(redis.url, BURST);
    await until(async () => a.state.ready && b.state.ready, 'both gateways on Redis');
  });

  afterAll(async () => {
    await Promise.all([a?.state.close(), b?.state.close()]);
    await redis?.close();
  });

  it("a caller's burst is spent once across both gateways, then both refuse with Retry-After", async () => {
    const decisions = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).limiter.acquire('caller-1', 'graphql')),
    );
    expect(decisions.filter((d) => d.allowed)).toHaveLength(BURST);
    const refused = decisions.find((d) => !d.allowed);
    expect(refused).toMatchObject({ allowed: false });
    expect(refused && !refused.allowed && refused.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect((await b.limiter.acquire('caller-2', 'ingest')).allowed).toBe(true);
  });

  it('a query registered through one gateway is found by the other', async () => {
    const key = `apq:${'a'.repeat(64)}`;
    expect(await b.apq.get(key)).toBeUndefined();
    await a.apq.set(key, '{ me { id } }', { ttl: 300 });
    expect(await b.apq.get(key)).toBe('{ me { id } }');
  });

  it('Redis down: each gateway limits alone (logged once), and shares again when Redis is back', async () => {
    await redis.stop();
    const unreachable = () => a.warnings.filter((w) => w.startsWith('Redis unreachable')).length;
    await until(async () => unreachable() === 1, 'the outage logged');
    const local = [];
    for (let i = 0; i < BURST + 2; i++) local.push(await a.limiter.acquire('caller-3', 'graphql'));
    expect(local.filter((d) => d.allowed)).toHaveLength(BURST);
    expect((await b.limiter.acquire('caller-3', 'graphql')).allowed).toBe(true);
    await new Promise((r) => setTimeout(r, 300)); // reconnection attempts meanwhile
    expect(unreachable()).toBe(1);
    await redis.start();
    await until(async () => a.state.ready && b.state.ready, 'both gateways on Redis again');
    const shared = await Promise.all(
      Array.from({ length: 2 * BURST }, (_, i) => (i % 2 === 0 ? a : b).limiter.acquire('caller-5', 'graphql')),
    );
    expect(shared.filter((d) => d.allowed)).toHaveLength(BURST);
  });
});
