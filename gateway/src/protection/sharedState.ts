/**
 * What gateways share through Redis when LAB_REDIS_URL is set: the rate-limit
 * buckets (sharedTokenBuckets.ts) and the APQ cache (sharedQueryCache.ts),
 * over one connection. Without it, every hook is undefined and each gateway
 * keeps its own state, as on one machine.
 */
import { connectRedis } from '@lab/redis';
import type { Config, Logger } from '@lab/shared';
import type { KeyValueCache } from './persistedQueries';
import type { RateLimitOptions } from './rateLimiter';
import { sharedQueryCache } from './sharedQueryCache';
import { SharedTokenBuckets } from './sharedTokenBuckets';

export interface GatewaySharedState {
  rateLimit: RateLimitOptions['shared'];
  queryCache: ((local: KeyValueCache) => KeyValueCache) | undefined;
  /** Whether Redis answers now (false without LAB_REDIS_URL). */
  readonly ready: boolean;
  close(): Promise<void>;
}

export function openSharedState(config: Partial<Pick<Config, 'redis'>>, log: Logger): GatewaySharedState {
  const url = config.redis?.url;
  if (!url) return { rateLimit: undefined, queryCache: undefined, ready: false, close: async () => {} };
  const redis = connectRedis({ url, name: 'gateway', log: log.child({ component: 'shared-state' }), commandTimeoutMs: 250 });
  return {
    rateLimit: (settings) => new SharedTokenBuckets(redis, settings, log.child({ component: 'rate-limit' })),
    queryCache: (local) => sharedQueryCache(local, redis),
    get ready() {
      return redis.ready;
    },
    close: () => redis.close(),
  };
}
