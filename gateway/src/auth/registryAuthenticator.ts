/**
 * API keys kept in the registry. The gateway never sees the database: it
 * hashes the bearer key (SHA-256 hex, as the registry stores it) and asks the
 * registry subgraph directly, as the internal service caller, through the
 * inaccessible field `Query._authenticate(keyHash)`.
 *
 * Expiry: a live key's answer (its user, admin flag, scopes, the key's id and
 * expiresAt) is cached per hash and checked against the clock at each use, so
 * a key is refused the second it expires, cached or not.
 *
 * Revocation: every `revalidateIntervalMs` (2 s) the ids of the cached keys
 * and of the keys open sockets hold (`watch`) are re-checked in one batched
 * call, `Query._liveApiKeys(ids)`; a key no longer live is dropped and the
 * listeners are told (its sockets close). An answer the registry has not
 * confirmed for `maxStaleMs` (5 s, e.g. while re-checks fail) is asked again
 * before it is used. So a revoked key stops working within 5 s on every
 * gateway, each checking on its own. Entries unused for `idleTtlMs` (30 s)
 * are dropped.
 *
 * Unknown keys are remembered in a separate small bounded cache for
 * `negativeTtlMs` (3 s): repeating a bad key costs one registry call per 3 s,
 * a flood of bad keys cannot push live keys out of the main cache, and a key
 * refused before it existed works at most 3 s later. Concurrent requests with
 * the same key share one registry call. The registry being down is
 * SERVICE_UNAVAILABLE (503), never UNAUTHENTICATED: the key may be fine. The
 * key itself is never logged, cached or sent anywhere; only its hash is.
 */
import { createHash, randomUUID } from 'node:crypto';
import { type Caller, type Logger, labHttpError } from '@lab/shared';
import { createServiceClient, type GraphQLAnswer, ServiceUnreachableError } from '@lab/shared/internal';
import { GATEWAY_SERVICE_CALLER } from '../constants';
import { type Authenticator, credentialExpired } from './authenticate';

/** What every registry API key looks like; anything else is not asked about. */
export const REGISTRY_KEY_PATTERN = /^lab_[A-Za-z0-9]{8}_[A-Za-z0-9]{32,}$/;

const KEY_FIELDS = 'apiKeyId userId isAdmin scopes expiresAt';
export const AUTHENTICATE_QUERY = `query Authenticate($keyHash: String!) { _authenticate(keyHash: $keyHash) { ${KEY_FIELDS} } }`;
export const LIVE_KEYS_QUERY = `query LiveApiKeys($ids: [ID!]!) { _liveApiKeys(ids: $ids) { ${KEY_FIELDS} } }`;
/** Most ids per re-check call (the registry's limit). */
export const LIVE_KEYS_BATCH = 1000;

export const REGISTRY_AUTHENTICATOR_DEFAULTS: Readonly<
  Record<
    'revalidateIntervalMs' | 'maxStaleMs' | 'idleTtlMs' | 'negativeTtlMs' | 'maxEntries' | 'maxNegativeEntries' | 'timeoutMs',
    number
  >
> = {
  revalidateIntervalMs: 2_000,
  maxStaleMs: 5_000,
  idleTtlMs: 30_000,
  negativeTtlMs: 3_000,
  maxEntries: 10_000,
  maxNegativeEntries: 10_000,
  timeoutMs: 5_000,
};

export interface RegistryAuthenticatorOptions {
  /** The registry subgraph's GraphQL URL (config.subgraphUrls.registry). */
  registryUrl: string;
  internalSecret: string;
  log: Logger;
  /** How often cached and watched keys are re-checked, in ms (default 2000); 0: only when revalidate() is called. */
  revalidateIntervalMs?: number;
  /** Longest an answer is used without the registry confirming it again, in ms (default 5000). */
  maxStaleMs?: number;
  /** A live key's entry is dropped after this long unused, in ms (default 30,000). */
  idleTtlMs?: number;
  /** How long an unknown key is remembered, in ms (default 3000). */
  negativeTtlMs?: number;
  /** Most live keys cached, least recently used dropped first (default 10,000). */
  maxEntries?: number;
  /** Most unknown keys remembered, oldest dropped first (default 10,000). */
  maxNegativeEntries?: number;
  timeoutMs?: number;
  /** Milliseconds since the epoch (default Date.now); expiry is checked against it. */
  now?: () => number;
  fetch?: typeof fetch;
  /** Called for each registry call: a key looked up, or a batch of keys re-checked. */
  onLookup?: (kind: 'authenticate' | 'revalidate') => void;
}

/** A live key as the registry describes it. */
interface KeyAnswer {
  apiKeyId: string;
  userId: string;
  isAdmin: boolean;
  scopes: string[];
  expiresAt: string | null;
}

interface Entry {
  caller: Caller;
  /** When the registry last said the key was live (ms, the `now` clock). */
  validatedAt: number;
  usedAt: number;
}

/** After a re-check, each watched key's caller now, or undefined when it is revoked, expired or gone. */
export type KeyStates = ReadonlyMap<string, Caller | undefined>;

export const sha256Hex = (value: string) => createHash('sha256').update(value).digest('hex');

export interface RegistryAuthenticator extends Authenticator {
  /** The caller of a key cached, live and confirmed recently enough; no registry call. */
  known(key: string): Caller | undefined;
  /** Keeps re-checking the key (an open socket uses it) until the returned function is called. */
  watch(apiKeyId: string): () => void;
  /** Called after each re-check with the state of every watched key that was checked. */
  onRecheck(listener: (states: KeyStates) => void): void;
  /** Re-checks the cached and watched keys now (a timer does it every revalidateIntervalMs). */
  revalidate(): Promise<void>;
  /** Drops every cached answer. */
  clear(): void;
  /** Stops the re-check timer. */
  close(): void;
  /** Live keys cached. */
  readonly size: number;
}

const copy = (caller: Caller): Caller => ({ ...caller, scopes: [...caller.scopes] });

function callerOf(found: KeyAnswer): Caller {
  return {
    id: found.userId,
    kind: found.isAdmin ? 'admin' : 'user',
    scopes: [...found.scopes],
    apiKeyId: found.apiKeyId,
    ...(found.expiresAt ? { expiresAt: Date.parse(found.expiresAt) } : {}),
  };
}

export function registryAuthenticator(options: RegistryAuthenticatorOptions): RegistryAuthenticator {
  const settings = { ...REGISTRY_AUTHENTICATOR_DEFAULTS };
  for (const name of Object.keys(settings) as (keyof typeof settings)[]) settings[name] = options[name] ?? settings[name];
  const now = options.now ?? Date.now;
  const client = createServiceClient({
    internalSecret: options.internalSecret,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const live = new Map<string, Entry>();
  const unknown = new Map<string, number>();
  const inFlight = new Map<string, Promise<Caller | undefined>>();
  const watched = new Map<string, number>();
  const listeners: ((states: KeyStates) => void)[] = [];
  let rechecking: Promise<void> | undefined;

  /** A cached caller that may be used now: not expired, confirmed recently enough. */
  function usable(hash: string, t: number): Entry | undefined {
    const entry = live.get(hash);
    if (!entry) return undefined;
    if (credentialExpired(entry.caller, t)) {
      live.delete(hash);
      return undefined;
    }
    if (t - entry.validatedAt >= settings.maxStaleMs) return undefined;
    entry.usedAt = t;
    live.delete(hash); // most recently used last
    live.set(hash, entry);
    return entry;
  }

  function remember(hash: string, caller: Caller | undefined, validatedAt: number): void {
    live.delete(hash);
    if (caller) {
      live.set(hash, { caller, validatedAt, usedAt: now() });
      while (live.size > settings.maxEntries) live.delete(live.keys().next().value as string);
      return;
    }
    unknown.delete(hash);
    unknown.set(hash, now() + settings.negativeTtlMs);
    while (unknown.size > settings.maxNegativeEntries) unknown.delete(unknown.keys().next().value as string);
  }

  function knownUnknown(hash: string, t: number): boolean {
    const until = unknown.get(hash);
    if (until === undefined) return false;
    if (until > t) return true;
    unknown.delete(hash);
    return false;
  }

  async function call<T>(query: string, variables: Record<string, unknown>, field: string): Promise<T> {
    const requestId = `gateway-auth-${randomUUID()}`;
    const unavailable = (reason: string, err?: unknown) => {
      options.log.warn({ err, requestId, reason }, 'cannot check API keys with the registry');
      return labHttpError('SERVICE_UNAVAILABLE', 'Cannot check the API key: the registry is unavailable; retry shortly', {
        service: 'registry',
      });
    };
    let answer: { status: number; body: GraphQLAnswer | undefined };
    try {
      answer = await client.graphql(options.registryUrl, query, variables, {
        caller: GATEWAY_SERVICE_CALLER,
        requestId,
        timeoutMs: settings.timeoutMs,
      });
    } catch (err) {
      throw unavailable('unreachable', err instanceof ServiceUnreachableError ? err.cause : err);
    }
    const { status, body } = answer;
    if (!body) throw unavailable(`unreadable answer (HTTP ${status})`);
    if (status < 200 || status >= 300 || body.errors?.length || !body.data || !(field in body.data)) {
      throw unavailable(`HTTP ${status}: ${JSON.stringify(body.errors ?? null).slice(0, 500)}`);
    }
    return body.data[field] as T;
  }

  async function ask(hash: string): Promise<Caller | undefined> {
    options.onLookup?.('authenticate');
    const found = await call<KeyAnswer | null>(AUTHENTICATE_QUERY, { keyHash: hash }, '_authenticate');
    return found ? callerOf(found) : undefined;
  }

  async function recheck(): Promise<void> {
    const started = now();
    for (const [hash, entry] of live) if (started - entry.usedAt > settings.idleTtlMs) live.delete(hash);
    const ids = new Set(watched.keys());
    for (const entry of live.values()) if (entry.caller.apiKeyId) ids.add(entry.caller.apiKeyId);
    if (ids.size === 0) return;
    const states = new Map<string, Caller | undefined>();
    const all = [...ids];
    for (let i = 0; i < all.length; i += LIVE_KEYS_BATCH) {
      const chunk = all.slice(i, i + LIVE_KEYS_BATCH);
      options.onLookup?.('revalidate');
      const found = await call<KeyAnswer[]>(LIVE_KEYS_QUERY, { ids: chunk }, '_liveApiKeys');
      const byId = new Map(found.map((key) => [key.apiKeyId, callerOf(key)]));
      for (const id of chunk) states.set(id, byId.get(id));
    }
    for (const [hash, entry] of live) {
      const id = entry.caller.apiKeyId;
      if (!id || !states.has(id)) continue;
      const current = states.get(id);
      if (!current) {
        live.delete(hash);
        continue;
      }
      entry.caller = current;
      entry.validatedAt = Math.max(entry.validatedAt, started);
    }
    const watchedStates = new Map([...watched.keys()].filter((id) => states.has(id)).map((id) => [id, states.get(id)]));
    for (const listener of listeners) {
      try {
        listener(watchedStates);
      } catch (err) {
        options.log.error({ err }, 'a listener of API key re-checks failed');
      }
    }
  }

  function revalidate(): Promise<void> {
    rechecking ??= recheck()
      .catch(() => {}) // logged by call(); answers go stale and are asked again
      .finally(() => {
        rechecking = undefined;
      });
    return rechecking;
  }

  const timer =
    settings.revalidateIntervalMs > 0 ? setInterval(() => void revalidate(), settings.revalidateIntervalMs) : undefined;
  timer?.unref();

  return {
    get size() {
      return live.size;
    },
    clear() {
      live.clear();
      unknown.clear();
    },
    close() {
      if (timer) clearInterval(timer);
    },
    revalidate,
    watch(apiKeyId) {
      watched.set(apiKeyId, (watched.get(apiKeyId) ?? 0) + 1);
      let watching = true;
      return () => {
        if (!watching) return;
        watching = false;
        const count = (watched.get(apiKeyId) ?? 1) - 1;
        if (count > 0) watched.set(apiKeyId, count);
        else watched.delete(apiKeyId);
      };
    },
    onRecheck(listener) {
      listeners.push(listener);
    },
    known(key) {
      if (!REGISTRY_KEY_PATTERN.test(key)) return undefined;
      const entry = usable(sha256Hex(key), now());
      return entry && copy(entry.caller);
    },
    async authenticate(key) {
      if (!REGISTRY_KEY_PATTERN.test(key)) return undefined;
      const hash = sha256Hex(key);
      const t = now();
      const hit = usable(hash, t);
      if (hit) return copy(hit.caller);
      if (knownUnknown(hash, t)) return undefined;
      let pending = inFlight.get(hash);
      if (!pending) {
        pending = ask(hash)
          .then((caller) => {
            remember(hash, caller, t);
            return caller;
          })
          .finally(() => inFlight.delete(hash));
        inFlight.set(hash, pending);
      }
      const caller = await pending;
      return caller && !credentialExpired(caller, now()) ? copy(caller) : undefined;
    },
  };
}
