/**
 * API keys kept in the registry. The gateway never sees the database: it
 * hashes the bearer key (SHA-256 hex, as the registry stores it) and asks the
 * registry subgraph directly, as the internal service caller, through the
 * inaccessible field `Query._authenticate(keyHash)`.
 *
 * Answers are cached per hash in a bounded LRU: a live key for 30 s, an
 * unknown one for 5 s, so a revoked key stops working within 30 s. Concurrent
 * requests with the same key share one registry call. The registry being down
 * is SERVICE_UNAVAILABLE (503), never UNAUTHENTICATED: the key may be fine.
 * The key itself is never logged, cached or sent anywhere; only its hash is.
 */
import { createHash, randomUUID } from 'node:crypto';
import { type Caller, type Logger, labHttpError, signedJsonHeaders } from '@lab/shared';
import type { Authenticator } from './authenticate';

export const GATEWAY_SERVICE_CALLER: Caller = { id: 'gateway', kind: 'service', scopes: ['*'] };

/** What every registry API key looks like; anything else is not asked about. */
export const REGISTRY_KEY_PATTERN = /^lab_[A-Za-z0-9]{8}_[A-Za-z0-9]{32,}$/;

export const AUTHENTICATE_QUERY =
  'query Authenticate($keyHash: String!) { _authenticate(keyHash: $keyHash) { userId isAdmin scopes } }';

export interface RegistryAuthenticatorOptions {
  /** The registry subgraph's GraphQL URL (config.subgraphUrls.registry). */
  registryUrl: string;
  internalSecret: string;
  log: Logger;
  positiveTtlMs?: number;
  negativeTtlMs?: number;
  /** Most cached answers (oldest dropped first). */
  maxEntries?: number;
  timeoutMs?: number;
  now?: () => number;
  fetch?: typeof fetch;
}

interface Entry {
  caller: Caller | undefined;
  expiresAt: number;
}

export const sha256Hex = (value: string) => createHash('sha256').update(value).digest('hex');

export interface RegistryAuthenticator extends Authenticator {
  /** Drops every cached answer (e.g. in tests, or after a revocation wave). */
  clear(): void;
  readonly size: number;
}

export function registryAuthenticator(options: RegistryAuthenticatorOptions): RegistryAuthenticator {
  const positiveTtl = options.positiveTtlMs ?? 30_000;
  const negativeTtl = options.negativeTtlMs ?? 5_000;
  const maxEntries = options.maxEntries ?? 10_000;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const now = options.now ?? Date.now;
  const doFetch = options.fetch ?? fetch;
  const cache = new Map<string, Entry>();
  const inFlight = new Map<string, Promise<Caller | undefined>>();

  function remember(hash: string, caller: Caller | undefined): void {
    cache.delete(hash);
    cache.set(hash, { caller, expiresAt: now() + (caller ? positiveTtl : negativeTtl) });
    while (cache.size > maxEntries) {
      const oldest = cache.keys().next().value as string;
      cache.delete(oldest);
    }
  }

  function cached(hash: string): Entry | undefined {
    const entry = cache.get(hash);
    if (!entry) return undefined;
    if (entry.expiresAt <= now()) {
      cache.delete(hash);
      return undefined;
    }
    cache.delete(hash); // most recently used last
    cache.set(hash, entry);
    return entry;
  }

  async function ask(hash: string): Promise<Caller | undefined> {
    const requestId = `gateway-auth-${randomUUID()}`;
    const unavailable = (reason: string, err?: unknown) => {
      options.log.warn({ err, requestId, reason }, 'cannot check an API key with the registry');
      return labHttpError('SERVICE_UNAVAILABLE', 'Cannot check the API key: the registry is unavailable; retry shortly', {
        service: 'registry',
      });
    };
    let response: Response;
    try {
      response = await doFetch(options.registryUrl, {
        method: 'POST',
        headers: signedJsonHeaders(options.internalSecret, {
          requestId,
          caller: GATEWAY_SERVICE_CALLER,
          query: AUTHENTICATE_QUERY,
        }),
        body: JSON.stringify({ query: AUTHENTICATE_QUERY, variables: { keyHash: hash } }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw unavailable('unreachable', err);
    }
    let body: { data?: { _authenticate?: { userId: string; isAdmin: boolean; scopes: string[] } | null }; errors?: unknown[] };
    try {
      body = (await response.json()) as typeof body;
    } catch (err) {
      throw unavailable(`unreadable answer (HTTP ${response.status})`, err);
    }
    if (!response.ok || body.errors?.length || !body.data || !('_authenticate' in body.data)) {
      throw unavailable(`HTTP ${response.status}: ${JSON.stringify(body.errors ?? null).slice(0, 500)}`);
    }
    const found = body.data._authenticate;
    if (!found) return undefined;
    return { id: found.userId, kind: found.isAdmin ? 'admin' : 'user', scopes: [...found.scopes] };
  }

  return {
    get size() {
      return cache.size;
    },
    clear() {
      cache.clear();
    },
    async authenticate(key) {
      if (!REGISTRY_KEY_PATTERN.test(key)) return undefined;
      const hash = sha256Hex(key);
      const hit = cached(hash);
      if (hit) return hit.caller && { ...hit.caller, scopes: [...hit.caller.scopes] };
      let pending = inFlight.get(hash);
      if (!pending) {
        pending = ask(hash)
          .then((caller) => {
            remember(hash, caller);
            return caller;
          })
          .finally(() => inFlight.delete(hash));
        inFlight.set(hash, pending);
      }
      const caller = await pending;
      return caller && { ...caller, scopes: [...caller.scopes] };
    },
  };
}
