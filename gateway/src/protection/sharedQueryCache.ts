/**
 * The APQ cache shared by every gateway (LAB_REDIS_URL): a query registered
 * through one gateway is found by the others, so a client balanced across
 * gateways does not meet PERSISTED_QUERY_NOT_FOUND again on each. Reads look
 * in this process's LRU first, then in Redis (a hit is kept locally); writes
 * go to both, in Redis for `ttl` seconds (Apollo's, else a day). Redis down or
 * slow: the local LRU alone answers, as without LAB_REDIS_URL.
 */
import type { RedisConnection } from '@lab/redis';
import type { KeyValueCache } from './persistedQueries';

export const APQ_KEY_PREFIX = 'lab:apq:';
const DEFAULT_TTL_SECONDS = 24 * 3600;

export function sharedQueryCache(local: KeyValueCache, redis: RedisConnection): KeyValueCache {
  const redisKey = (key: string) => `${APQ_KEY_PREFIX}${key}`;
  return {
    async get(key) {
      const here = await local.get(key);
      if (here !== undefined || !redis.ready) return here;
      try {
        const there = await redis.client.get(redisKey(key));
        if (there === null) return undefined;
        await local.set(key, there);
        return there;
      } catch {
        return undefined;
      }
    },
    async set(key, value, options) {
      await local.set(key, value, options);
      if (!redis.ready) return;
      const ttl = options?.ttl && options.ttl > 0 ? Math.ceil(options.ttl) : DEFAULT_TTL_SECONDS;
      await redis.client.set(redisKey(key), value, 'EX', ttl).catch(() => undefined);
    },
    async delete(key) {
      await local.delete(key);
      if (redis.ready) await redis.client.del(redisKey(key)).catch(() => undefined);
    },
  };
}
