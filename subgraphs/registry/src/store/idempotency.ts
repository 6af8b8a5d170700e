/**
 * Idempotent mutations: a caller's Idempotency-Key (signed by the gateway into
 * the context of a mutation's subgraph operation) and what each write of that
 * operation returned, kept in idempotency_keys.
 *
 * Exactly once, across crashes: `withAudit` claims the key in the write's own
 * transaction, before the work, and stores the work's result in it before
 * the commit. A committed change always has its record; a rolled-back one
 * (a failed mutation, a crash) never does, so its retry runs.
 *
 * - One row per (caller, key), holding the digest of the operation and its
 *   variables, and the result of each write by scope: `<root field>#<n>`, the
 *   n-th write of that root field (mutation root fields run one after another).
 * - The same key and digest: a write whose scope has a result returns it
 *   without running; the other writes run. Another digest: CONFLICT.
 * - A concurrent duplicate waits on the row's lock (the claim is an upsert that
 *   locks it) until the first transaction ends, then replays its result, or
 *   runs if that one rolled back. Nothing is written twice. It waits at most
 *   IDEMPOTENCY_LOCK_WAIT_MS (a lock_timeout on the claim alone, well inside
 *   the transaction's own timeout): a first attempt still running then is a
 *   CONFLICT with reason IDEMPOTENCY_KEY_IN_PROGRESS, to retry later.
 * - A write that changed nothing (recorded no audit event) keeps no result, so
 *   a refusal answered without change is decided again on retry.
 * - Keys expire (LAB_IDEMPOTENCY_KEY_TTL_HOURS): an expired key is taken over by
 *   its next use; the registry deletes the rest hourly (service.ts).
 */
import { labError } from '@lab/shared';
import type { Prisma } from '../generated/prisma/client';

type Tx = Prisma.TransactionClient;

export const DEFAULT_IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;

/**
 * How long a claim waits for another attempt holding the same key (Prisma's
 * interactive transactions end after 5 s by default; a wait past that would
 * fail as an expired transaction instead of answering).
 */
export const IDEMPOTENCY_LOCK_WAIT_MS = 2_000;

/** PostgreSQL's lock_not_available: a lock_timeout ran out. */
const LOCK_NOT_AVAILABLE = '55P03';

/** The idempotency key of one request, as the request's store view carries it. */
export class RequestIdempotency {
  private field = '';
  private writes = 0;

  constructor(
    readonly callerId: string,
    readonly key: string,
    /** operationDigest of the subgraph operation and its variables. */
    readonly digest: string,
    readonly ttlMs: number = DEFAULT_IDEMPOTENCY_TTL_MS,
  ) {}

  /** Called as each Mutation root field starts (resolvers.ts): its writes are numbered from 1. */
  enterField(responseKey: string): void {
    this.field = responseKey;
    this.writes = 0;
  }

  /** The scope of the next write: `<root field>#<n>`. */
  nextScope(): string {
    this.writes += 1;
    return `${this.field}#${this.writes}`;
  }
}

/** What a claim found: nothing yet (run the work), or the result an earlier attempt committed. */
export type Claim = { kind: 'run'; fresh: boolean } | { kind: 'replay'; result: unknown };

/**
 * Claims the key for one write, in the write's transaction: inserts the row
 * (or takes over an expired one), else locks the live one, waiting for a
 * concurrent attempt to end. Throws CONFLICT when the key was used with other
 * input, and a retryable CONFLICT when another attempt still holds it after
 * IDEMPOTENCY_LOCK_WAIT_MS.
 */
export async function claimIdempotencyKey(tx: Tx, idem: RequestIdempotency, scope: string): Promise<Claim> {
  const taken = await withLockWait(tx, idem.key, () => lockKey(tx, idem));
  if (taken.length > 0) return { kind: 'run', fresh: true };
  const rows = await tx.$queryRaw<{ digest: string; result: unknown }[]>`
    SELECT digest, results -> ${scope} AS result FROM idempotency_keys
    WHERE caller_id = ${idem.callerId} AND key = ${idem.key}`;
  const row = rows[0];
  if (!row) return { kind: 'run', fresh: true }; // unreachable: the upsert kept or made it
  if (row.digest !== idem.digest) {
    throw labError(
      'CONFLICT',
      `Idempotency key "${idem.key}" was already used with another operation or other input; use a new key for a new request`,
      { idempotencyKey: idem.key, reason: 'IDEMPOTENCY_KEY_REUSED' },
    );
  }
  if (row.result === null || row.result === undefined) return { kind: 'run', fresh: false };
  return { kind: 'replay', result: decodeResult(row.result) };
}

/** Inserts the key's row, or takes over an expired one; locks it either way. Returns a row when this claim is fresh. */
function lockKey(tx: Tx, idem: RequestIdempotency): Promise<{ caller_id: string }[]> {
  const ttl = `${Math.max(1, Math.round(idem.ttlMs))} milliseconds`;
  // ON CONFLICT DO UPDATE locks the existing row even when its WHERE is false.
  return tx.$queryRaw<{ caller_id: string }[]>`
    INSERT INTO idempotency_keys (caller_id, key, digest, expires_at)
    VALUES (${idem.callerId}, ${idem.key}, ${idem.digest}, now() + ${ttl}::interval)
    ON CONFLICT (caller_id, key) DO UPDATE
      SET digest = EXCLUDED.digest, results = '{}', created_at = now(), expires_at = EXCLUDED.expires_at
      WHERE idempotency_keys.expires_at <= now()
    RETURNING caller_id`;
}

/**
 * Runs `lock` under a lock_timeout of IDEMPOTENCY_LOCK_WAIT_MS, then gives the
 * transaction its default back, so the write's own lock waits (a version
 * number behind its parent's row) keep the whole transaction's time. A lock
 * not had in time is the CONFLICT of a key still in progress (the
 * transaction is then aborted, and rolled back by the throw).
 */
async function withLockWait<T>(tx: Tx, key: string, lock: () => Promise<T>): Promise<T> {
  await tx.$executeRaw`SELECT set_config('lock_timeout', ${`${IDEMPOTENCY_LOCK_WAIT_MS}ms`}, true)`;
  let locked: T;
  try {
    locked = await lock();
  } catch (err) {
    throw isLockTimeout(err) ? keyInProgress(key) : err;
  }
  await tx.$executeRawUnsafe('SET LOCAL lock_timeout TO DEFAULT');
  return locked;
}

/** The retryable CONFLICT of a key whose first attempt has not ended yet. */
function keyInProgress(key: string) {
  return labError(
    'CONFLICT',
    `Idempotency key "${key}" is in use by a request still in progress; retry later with the same key and input`,
    { idempotencyKey: key, reason: 'IDEMPOTENCY_KEY_IN_PROGRESS' },
  );
}

interface RawQueryError {
  meta?: { driverAdapterError?: { cause?: { originalCode?: unknown; code?: unknown } } };
}

/** Whether a raw query failed on PostgreSQL's lock_timeout (Prisma's P2010, the pg driver adapter's cause). */
function isLockTimeout(err: unknown): boolean {
  const cause = (err as RawQueryError | undefined)?.meta?.driverAdapterError?.cause;
  return cause?.originalCode === LOCK_NOT_AVAILABLE || cause?.code === LOCK_NOT_AVAILABLE;
}

/** Stores the result of a write that changed something, in its transaction; forgets a fresh claim that changed nothing. */
export async function settleIdempotencyKey(
  tx: Tx,
  idem: RequestIdempotency,
  scope: string,
  claim: { fresh: boolean },
  changed: boolean,
  result: unknown,
): Promise<void> {
  if (changed) {
    const encoded = JSON.stringify({ [scope]: encodeResult(result) });
    await tx.$executeRaw`
      UPDATE idempotency_keys SET results = results || ${encoded}::jsonb
      WHERE caller_id = ${idem.callerId} AND key = ${idem.key}`;
  } else if (claim.fresh) {
    await tx.$executeRaw`
      DELETE FROM idempotency_keys
      WHERE caller_id = ${idem.callerId} AND key = ${idem.key} AND results = '{}'::jsonb`;
  }
}

/** Deletes expired keys; the count deleted. */
export function pruneIdempotencyKeys(client: Pick<Tx, '$executeRaw'>): Promise<number> {
  return client.$executeRaw`DELETE FROM idempotency_keys WHERE expires_at <= now()`;
}

// -- the stored result: JSON that gives back Dates and BigInts -------------

/**
 * `{ v: value }`, with Dates as `{ $date: iso }` and BigInts as `{ $bigint: digits }`; undefined stays absent.
 * Never a secret: an API key's `hash` is left out (no resolver reads it from a mutation's answer).
 */
export function encodeResult(value: unknown): unknown {
  const text = JSON.stringify({ v: value }, function replace(this: Record<string, unknown>, key: string, v: unknown) {
    if (key === 'hash') return undefined;
    const raw = this[key];
    if (raw instanceof Date) return { $date: raw.toISOString() };
    if (typeof v === 'bigint') return { $bigint: v.toString() };
    return v;
  });
  return JSON.parse(text) as unknown;
}

export function decodeResult(stored: unknown): unknown {
  const revived = JSON.parse(JSON.stringify(stored), (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      const keys = Object.keys(o);
      if (keys.length === 1 && typeof o.$date === 'string') return new Date(o.$date);
      if (keys.length === 1 && typeof o.$bigint === 'string') return BigInt(o.$bigint);
    }
    return v;
  }) as { v?: unknown };
  return revived.v;
}
