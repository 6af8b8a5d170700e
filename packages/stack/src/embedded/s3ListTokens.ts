/**
 * Continuation tokens for s3rver's ListObjectsV2. s3rver encrypts its tokens
 * with DES, which the OpenSSL 3 of Node 17 and later refuses
 * (ERR_OSSL_EVP_UNSUPPORTED): every listing longer than one page would answer
 * 500. This middleware, mounted just before s3rver's router, hides the
 * truncation from s3rver's controller (so it makes no token of its own), puts
 * it back with a token of ours (the bucket and last key, base64url), and
 * reads such a token back as start-after. Any other token is refused like S3
 * refuses it (400 InvalidArgument).
 */

interface ListResult {
  objects: { key: string }[];
  commonPrefixes?: string[];
  isTruncated?: boolean;
}

interface StoreLike {
  listObjects(bucket: string, options: unknown): Promise<ListResult>;
}

/** The part of s3rver's Koa context the middleware uses. */
export interface S3rverContext {
  method: string;
  path: string;
  query: Record<string, string | string[] | undefined>;
  status: number;
  body: unknown;
  store: StoreLike;
}

export type S3rverMiddleware = (ctx: S3rverContext, next: () => Promise<void>) => Promise<void>;

const TOKEN_PREFIX = 'lab1.';

export function listToken(bucket: string, lastKey: string): string {
  return `${TOKEN_PREFIX}${Buffer.from(`${bucket}/${lastKey}`, 'utf8').toString('base64url')}`;
}

/** The key a token of ours continues after; undefined for anything else. */
export function readListToken(token: string, bucket: string): string | undefined {
  if (!token.startsWith(TOKEN_PREFIX)) return undefined;
  const text = Buffer.from(token.slice(TOKEN_PREFIX.length), 'base64url').toString('utf8');
  return text.startsWith(`${bucket}/`) && text.length > bucket.length + 1 ? text.slice(bucket.length + 1) : undefined;
}

/** The bucket of a ListObjectsV2 request (GET /{bucket}?list-type=2); undefined for any other request. */
function listedBucket(ctx: S3rverContext): string | undefined {
  if (ctx.method !== 'GET' || ctx.query['list-type'] !== '2') return undefined;
  return /^\/([^/]+)\/?$/.exec(ctx.path)?.[1];
}

export function listTokens(): S3rverMiddleware {
  return async (ctx, next) => {
    const bucket = listedBucket(ctx);
    if (!bucket) return next();
    const token = ctx.query['continuation-token'];
    let startAfter: string | undefined;
    if (typeof token === 'string' && token !== '') {
      startAfter = readListToken(token, bucket);
      if (startAfter === undefined) {
        ctx.status = 400;
        ctx.body = {
          Error: {
            Code: 'InvalidArgument',
            Message: 'The continuation token provided is incorrect',
            ArgumentName: 'continuation-token',
          },
        };
        return;
      }
      const { 'continuation-token': _, ...rest } = ctx.query;
      ctx.query = { ...rest, 'start-after': startAfter };
    }
    let lastKey: string | undefined;
    const store = ctx.store;
    ctx.store = Object.create(store, {
      listObjects: {
        value: async (name: string, options: unknown) => {
          const result = await store.listObjects(name, options);
          if (!result.isTruncated) return result;
          lastKey = [result.objects.at(-1)?.key, result.commonPrefixes?.at(-1)]
            .filter((k) => k !== undefined)
            .sort()
            .at(-1);
          return { ...result, isTruncated: false };
        },
      },
    });
    await next();
    const listing = (ctx.body as { ListBucketResult?: Record<string, unknown> } | undefined)?.ListBucketResult;
    if (!listing) return;
    if (startAfter !== undefined) {
      listing.StartAfter = undefined;
      listing.ContinuationToken = token;
    }
    if (lastKey !== undefined) {
      listing.IsTruncated = true;
      listing.NextContinuationToken = listToken(bucket, lastKey);
    }
  };
}

/** Mounts `listTokens` on a (not yet running) s3rver, just before its router. */
export function useListTokens(server: object): void {
  const middleware = (server as { middleware: S3rverMiddleware[] }).middleware;
  middleware.splice(middleware.length - 1, 0, listTokens());
}
