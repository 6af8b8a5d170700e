/**
 * Token buckets by key, the arithmetic behind the rate limit per caller
 * (rateLimiter.ts) and the limit on failed authentications per address
 * (auth/authFailureLimit.ts). Each key's bucket holds at most `burst` tokens
 * and gains `perSecond` of them a second; it is refilled when it is next
 * looked at, not by a timer. Buckets live in this process, in an LRU map of
 * at most `maxKeys`, each dropped once idle long enough to be full again (so
 * forgetting it changes nothing).
 */
import { LRUCache } from 'lru-cache';

export interface TokenBucketSettings {
  /** Tokens added to a bucket per second (may be fractional); 0 turns the limit off (`enabled` false). */
  perSecond: number;
  /** Most tokens a bucket holds (at least 1), and what a new bucket starts with. */
  burst: number;
  /** Most buckets kept, least recently used dropped first. */
  maxKeys: number;
}

export interface TokenBucketsOptions extends Partial<TokenBucketSettings> {
  /** Milliseconds now. Default performance.now. */
  now?: () => number;
}

export type TokenDecision = { allowed: true; remaining: number } | { allowed: false; retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  at: number;
}

export class TokenBuckets {
  readonly perSecond: number;
  readonly burst: number;
  /** Whether buckets refill at all: at 0 per second the limit is off (its users take no token). */
  readonly enabled: boolean;
  private readonly now: () => number;
  private readonly buckets: LRUCache<string, Bucket>;

  /** Each setting as given in `options`, else its default. */
  constructor(options: TokenBucketsOptions, defaults: TokenBucketSettings) {
    this.perSecond = options.perSecond ?? defaults.perSecond;
    this.burst = Math.max(1, options.burst ?? defaults.burst);
    this.enabled = this.perSecond > 0;
    this.now = options.now ?? (() => performance.now());
    const fullAfterMs = Math.ceil((this.burst / Math.max(this.perSecond, 1e-9)) * 1000);
    this.buckets = new LRUCache<string, Bucket>({
      max: options.maxKeys ?? defaults.maxKeys,
      ttl: Math.max(1, Math.min(fullAfterMs, 2 ** 31 - 1)),
      ttlAutopurge: false,
      updateAgeOnGet: true,
      perf: { now: this.now },
    });
  }

  /** Takes a token from the key's bucket: how many whole ones are left, or the seconds until one is back. */
  take(key: string): TokenDecision {
    const bucket = this.bucketOf(key);
    if (bucket.tokens < 1) return { allowed: false, retryAfterSeconds: this.secondsUntilToken(bucket) };
    bucket.tokens -= 1;
    return { allowed: true, remaining: Math.floor(bucket.tokens) };
  }

  /** Seconds until the key's bucket holds a token, or undefined when it holds one now (nothing is taken). */
  retryAfter(key: string): number | undefined {
    const bucket = this.bucketOf(key);
    return bucket.tokens < 1 ? this.secondsUntilToken(bucket) : undefined;
  }

  /** Puts a token taken back into the key's bucket (never past the burst). */
  giveBack(key: string): void {
    const bucket = this.bucketOf(key);
    bucket.tokens = Math.min(this.burst, bucket.tokens + 1);
  }

  /** The key's bucket, refilled up to now. */
  private bucketOf(key: string): Bucket {
    const at = this.now();
    let bucket = this.buckets.get(key); // a get refreshes its age and recency as a set would
    if (!bucket) {
      bucket = { tokens: this.burst, at };
      this.buckets.set(key, bucket);
    }
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((at - bucket.at) / 1000) * this.perSecond);
    bucket.at = at;
    return bucket;
  }

  /** Whole seconds, at least 1, until the bucket holds a token again. */
  private secondsUntilToken(bucket: Bucket): number {
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.perSecond));
  }
}
