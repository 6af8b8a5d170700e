/**
 * Rate limiting per caller (the authenticated user or the bootstrap admin):
 * one token bucket each, refilled at `perSecond` and holding at most `burst`.
 * A GraphQL request or a POST /v1/metrics takes one token; an empty bucket
 * answers 429 RATE_LIMITED with Retry-After (whole seconds until a token is
 * back). Buckets live in this process, at most `maxCallers` of them
 * (tokenBuckets.ts); with `shared` (LAB_REDIS_URL) they live in Redis and
 * every gateway takes from the same one (sharedTokenBuckets.ts), this
 * process's buckets standing in while Redis cannot answer.
 */
import { HeaderMap } from '@apollo/server';
import { type Caller, ERROR_CODES } from '@lab/shared';
import { GraphQLError } from 'graphql';
import type { SharedTokenBuckets } from './sharedTokenBuckets';
import { TokenBuckets, type TokenDecision } from './tokenBuckets';

export interface RateLimitOptions {
  /** Tokens added to each caller's bucket per second (may be fractional). Default 100; 0 turns rate limiting off. */
  perSecond?: number;
  /** Bucket size: requests a caller may make at once after being idle. Default 200. */
  burst?: number;
  /** Most callers whose buckets are kept (least recently seen dropped first). Default 100,000. */
  maxCallers?: number;
  /** Called for each refused request, e.g. to count it. */
  onLimited?: (callerId: string, route: RateLimitedRoute) => void;
  /** Milliseconds now; for tests. Default performance.now. */
  now?: () => number;
  /** Buckets shared by every gateway (Redis), given the same perSecond and burst. Default: none. */
  shared?: (settings: { perSecond: number; burst: number }) => SharedTokenBuckets;
}

export type RateLimitedRoute = 'graphql' | 'ingest';

export const RATE_LIMIT_DEFAULTS = { perSecond: 100, burst: 200, maxCallers: 100_000 } as const;

export interface RateLimiter {
  /** Takes a token from the caller's bucket: the shared one when there is one and Redis answers, else this process's. */
  acquire(callerId: string, route: RateLimitedRoute): Promise<TokenDecision>;
  /** Takes a token from the caller's bucket in this process (no shared limit): prefer acquire. */
  take(callerId: string, route: RateLimitedRoute): TokenDecision;
  /**
   * Wraps Apollo's context function: once the caller is known, takes a token
   * or throws RATE_LIMITED (429, Retry-After), before the operation is parsed.
   * (The context function is the earliest place Apollo answers a thrown
   * error with its HTTP status and headers; a plugin's requestDidStart is not.)
   */
  context<TArgs, TContext extends { caller: Caller }>(fn: (args: TArgs) => Promise<TContext>): (args: TArgs) => Promise<TContext>;
  /** The message of a refusal. */
  message(retryAfterSeconds: number): string;
  readonly enabled: boolean;
}

export function createRateLimiter(options: RateLimitOptions = {}): RateLimiter {
  const buckets = new TokenBuckets(
    { ...options, maxKeys: options.maxCallers },
    { ...RATE_LIMIT_DEFAULTS, maxKeys: RATE_LIMIT_DEFAULTS.maxCallers },
  );
  const { perSecond, burst, enabled } = buckets;

  const message = (retryAfterSeconds: number) =>
    `Rate limit exceeded: ${perSecond} requests per second with bursts of ${burst} per caller; retry after ${retryAfterSeconds} s`;

  const take = (callerId: string, route: RateLimitedRoute): TokenDecision => {
    if (!enabled) return { allowed: true, remaining: burst };
    const decision = buckets.take(callerId);
    if (!decision.allowed) options.onLimited?.(callerId, route);
    return decision;
  };
  const shared = enabled ? options.shared?.({ perSecond, burst }) : undefined;
  const acquire = async (callerId: string, route: RateLimitedRoute): Promise<TokenDecision> => {
    const decision = shared ? await shared.take(callerId) : undefined;
    if (!decision) return take(callerId, route);
    if (!decision.allowed) options.onLimited?.(callerId, route);
    return decision;
  };

  return {
    enabled,
    acquire,
    take,
    message,
    context(fn) {
      if (!enabled) return fn;
      return async (args) => {
        const context = await fn(args);
        const decision = shared ? await acquire(context.caller.id, 'graphql') : take(context.caller.id, 'graphql');
        if (!decision.allowed) throw rateLimitedError(message(decision.retryAfterSeconds), decision.retryAfterSeconds);
        return context;
      };
    },
  };
}

/** RATE_LIMITED with HTTP 429 and a Retry-After header, for Apollo Server. */
export function rateLimitedError(message: string, retryAfterSeconds: number): GraphQLError {
  return new GraphQLError(message, {
    extensions: {
      code: 'RATE_LIMITED',
      retryAfter: retryAfterSeconds,
      http: {
        status: ERROR_CODES.RATE_LIMITED.httpStatus,
        headers: new HeaderMap([['retry-after', String(retryAfterSeconds)]]),
      },
    },
  });
}
