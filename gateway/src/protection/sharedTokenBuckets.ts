/**
 * The rate limit per caller shared by every gateway (LAB_REDIS_URL): one
 * token bucket per caller in Redis, refilled and taken from in one Lua
 * script, so two gateways never both spend the last token, and timed by the
 * Redis server's clock, so gateways' clocks need not agree. A bucket idle
 * long enough to be full again expires (nothing is lost by forgetting it).
 *
 * `take` answers undefined when Redis cannot answer now (down, or slower than
 * the connection's command timeout): the caller then uses its own bucket in
 * this process (rateLimiter.ts), so a Redis outage relaxes the limit to one
 * per gateway instead of refusing or stalling requests. The outage is logged
 * once, and its end once.
 */
import type { RedisConnection } from '@lab/redis';
import type { Logger } from '@lab/shared';
import type { TokenDecision } from './tokenBuckets';

export const RATE_LIMIT_KEY_PREFIX = 'lab:ratelimit:';

/**
 * KEYS[1]: the caller's bucket. ARGV: tokens per second, burst, milliseconds until a bucket is full again.
 * Returns {1, whole tokens left} or {0, seconds until a token is back}.
 */
const TAKE_TOKEN = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens = burst
  at = now
end
if now > at then
  tokens = math.min(burst, tokens + (now - at) / 1000 * rate)
  at = now
end
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(at))
redis.call('PEXPIRE', KEYS[1], ARGV[3])
if allowed == 1 then
  return {1, math.floor(tokens)}
end
return {0, math.max(1, math.ceil((1 - tokens) / rate))}
`;

type TakeToken = (key: string, perSecond: number, burst: number, ttlMs: number) => Promise<[number, number]>;

export class SharedTokenBuckets {
  private readonly takeToken: TakeToken;
  private readonly ttlMs: number;
  private failing = false;

  constructor(
    private readonly redis: RedisConnection,
    private readonly settings: { perSecond: number; burst: number },
    private readonly log: Logger,
  ) {
    redis.client.defineCommand('labTakeToken', { numberOfKeys: 1, lua: TAKE_TOKEN });
    const client = redis.client as unknown as { labTakeToken: TakeToken };
    this.takeToken = (...args) => client.labTakeToken(...args);
    this.ttlMs = Math.max(1000, Math.ceil((settings.burst / Math.max(settings.perSecond, 1e-9)) * 1000) + 1000);
  }

  /** Takes a token from the caller's shared bucket; undefined when Redis cannot answer now. */
  async take(key: string): Promise<TokenDecision | undefined> {
    if (!this.redis.ready) return undefined;
    try {
      const [allowed, n] = await this.takeToken(
        `${RATE_LIMIT_KEY_PREFIX}${key}`,
        this.settings.perSecond,
        this.settings.burst,
        this.ttlMs,
      );
      if (this.failing) {
        this.failing = false;
        this.log.info('shared rate limits answer again');
      }
      return allowed === 1 ? { allowed: true, remaining: n } : { allowed: false, retryAfterSeconds: n };
    } catch (err) {
      if (!this.failing) {
        this.failing = true;
        this.log.warn(
          { err: (err as Error).message },
          'shared rate limits unavailable: each gateway limits alone until Redis answers',
        );
      }
      return undefined;
    }
  }
}
