/**
 * The caller context the gateway signs and every subgraph checks.
 *
 * The gateway authenticates a request once, then sends each subgraph an
 * `x-lab-context` header: base64url(JSON payload) "." base64url(HMAC-SHA256).
 * The payload names the caller, carries the request id, a short expiry, and a
 * digest of the GraphQL document it was issued for, so a captured header
 * cannot be replayed later or with another operation.
 */
import { createHash, createHmac, createSecretKey, type KeyObject, randomUUID, timingSafeEqual } from 'node:crypto';

export const CONTEXT_HEADER = 'x-lab-context';
export const REQUEST_ID_HEADER = 'x-request-id';

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The request id a caller sent (x-request-id) when it is safe to log and forward; else a new one. */
export function requestIdOf(req: { headers: Record<string, string | string[] | undefined> }): string {
  const given = req.headers[REQUEST_ID_HEADER];
  return typeof given === 'string' && SAFE_REQUEST_ID.test(given) ? given : randomUUID();
}

/**
 * What the gateway signs (as the internal service caller) in connection_init
 * when it opens a subscription socket to a subgraph; each subscription then
 * carries its own context, signed for its document.
 */
export const SUBSCRIPTION_CONNECTION_DOCUMENT = 'WS /graphql';

/** Seconds a signed context stays valid. */
export const CONTEXT_TTL_SECONDS = 60;
/** Clock skew tolerated between gateway and subgraph, in seconds. */
const CLOCK_SKEW_SECONDS = 5;

export type CallerKind = 'admin' | 'user' | 'service';

export interface Caller {
  /** User id (UUID); the bootstrap admin's is BOOTSTRAP_ADMIN_ID; internal services use their service name. */
  id: string;
  kind: CallerKind;
  /** Scopes granted to the caller; `*` grants everything. */
  scopes: string[];
  /** The registry API key the caller authenticated with: key management checks it again, in the registry, when it acts. */
  apiKeyId?: string;
  /** When the caller's credential stops being valid (ms since the epoch: an API key's expiresAt, a JWT's exp); absent: never. */
  expiresAt?: number;
}

export interface SignedContext {
  v: 1;
  requestId: string;
  caller: Caller;
  /** sha256 (hex) of the GraphQL document the context was issued for. */
  documentDigest: string;
  /**
   * The client's Idempotency-Key, signed with the operation it came with; the
   * gateway sets it only on the subgraph operations of a mutation.
   */
  idempotencyKey?: string;
  iat: number;
  exp: number;
}

/** Idempotency keys (the Idempotency-Key header): 1 to 128 printable ASCII characters. */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,128}$/;
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';

/** Digests of recent documents: a gateway signs the same few subgraph operations again and again. */
const digests = new Map<string, string>();
const DIGESTS_KEPT = 2_000;
/** Longer documents are digested every time rather than kept. */
const DIGEST_KEPT_MAX_LENGTH = 64 * 1024;

export function documentDigest(query: string): string {
  let digest = digests.get(query);
  if (digest === undefined) {
    digest = createHash('sha256').update(query).digest('hex');
    if (query.length <= DIGEST_KEPT_MAX_LENGTH) {
      if (digests.size >= DIGESTS_KEPT) digests.delete(digests.keys().next().value as string);
      digests.set(query, digest);
    }
  }
  return digest;
}

/** The HMAC key of each secret, made once (a process has one or two). */
const keys = new Map<string, KeyObject>();

function mac(secret: string, data: string): Buffer {
  let key = keys.get(secret);
  if (!key) {
    key = createSecretKey(Buffer.from(secret, 'utf8'));
    if (keys.size >= 8) keys.clear();
    keys.set(secret, key);
  }
  return createHmac('sha256', key).update(data).digest();
}

export function signContext(
  secret: string,
  input: { requestId: string; caller: Caller; query: string; idempotencyKey?: string; now?: number; ttlSeconds?: number },
): string {
  const iat = Math.floor((input.now ?? Date.now()) / 1000);
  const payload: SignedContext = {
    v: 1,
    requestId: input.requestId,
    caller: input.caller,
    documentDigest: documentDigest(input.query),
    ...(input.idempotencyKey === undefined ? {} : { idempotencyKey: input.idempotencyKey }),
    iat,
    exp: iat + (input.ttlSeconds ?? CONTEXT_TTL_SECONDS),
  };
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return `${body}.${mac(secret, body).toString('base64url')}`;
}

/** The headers of a signed JSON request between services: content type, request id and the caller context. */
export function signedJsonHeaders(
  secret: string,
  input: { requestId: string; caller: Caller; query: string },
): Record<string, string> {
  return {
    'content-type': 'application/json',
    [REQUEST_ID_HEADER]: input.requestId,
    [CONTEXT_HEADER]: signContext(secret, input),
  };
}

export type VerifyResult = { ok: true; context: SignedContext } | { ok: false; reason: string };

/** Checks signature, expiry and the document binding. Never throws. */
export function verifyContext(
  secret: string,
  header: string | undefined,
  query: string | undefined,
  now: number = Date.now(),
): VerifyResult {
  if (!header) return { ok: false, reason: 'missing signed caller context' };
  const dot = header.indexOf('.');
  if (dot <= 0 || dot !== header.lastIndexOf('.')) return { ok: false, reason: 'malformed signed caller context' };
  const body = header.slice(0, dot);
  const given = Buffer.from(header.slice(dot + 1), 'base64url');
  const expected = mac(secret, body);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: 'bad signature on caller context' };
  }
  let payload: SignedContext;
  try {
    payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as SignedContext;
  } catch {
    return { ok: false, reason: 'malformed signed caller context' };
  }
  const nowSeconds = Math.floor(now / 1000);
  if (payload.v !== 1 || typeof payload.exp !== 'number' || typeof payload.iat !== 'number') {
    return { ok: false, reason: 'malformed signed caller context' };
  }
  if (payload.exp + CLOCK_SKEW_SECONDS < nowSeconds) return { ok: false, reason: 'expired caller context' };
  if (payload.iat - CLOCK_SKEW_SECONDS > nowSeconds) return { ok: false, reason: 'caller context issued in the future' };
  if (query === undefined || payload.documentDigest !== documentDigest(query)) {
    return { ok: false, reason: 'caller context was issued for another operation' };
  }
  if (payload.idempotencyKey !== undefined && !IDEMPOTENCY_KEY_PATTERN.test(String(payload.idempotencyKey))) {
    return { ok: false, reason: 'malformed idempotency key in caller context' };
  }
  return { ok: true, context: payload };
}
