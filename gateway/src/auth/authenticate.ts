/**
 * Who is calling. Every GraphQL operation carries `Authorization: Bearer <key>`;
 * an Authenticator turns the key into a Caller. The chain tries the bootstrap
 * admin's key (LAB_ADMIN_API_KEY) first, then JWTs when configured
 * (jwtAuthenticator.ts), then API keys kept in the registry
 * (registryAuthenticator.ts). An authenticator throws only when it cannot
 * tell (e.g. SERVICE_UNAVAILABLE when the registry is down), or to refuse a
 * credential it owns with the reason (an expired JWT: UNAUTHENTICATED).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { type Caller, labHttpError } from '@lab/shared';
import { BOOTSTRAP_ADMIN_ID } from '../constants';

export interface Authenticator {
  /** The caller the key belongs to, or undefined when the key is unknown. Must not throw for unknown keys; may throw when it cannot tell, or UNAUTHENTICATED with a reason for a key it recognises and refuses. */
  authenticate(key: string): Promise<Caller | undefined>;
  /** The caller when the key is known good from memory alone (no lookup, no verification cost), else undefined. */
  known?(key: string): Caller | undefined;
}

/** Whether the caller's credential has expired at `now` (ms since the epoch). */
export const credentialExpired = (caller: Caller, now: number): boolean =>
  caller.expiresAt !== undefined && caller.expiresAt <= now;

const sha256 = (value: string) => createHash('sha256').update(value).digest();

/**
 * Accepts exactly `adminApiKey`. Compares digests with timingSafeEqual, so
 * the time taken does not depend on how much of the key, or its length, was right.
 * With no key configured nobody authenticates.
 */
export function adminKeyAuthenticator(adminApiKey: string | undefined): Authenticator {
  const expected = adminApiKey ? sha256(adminApiKey) : undefined;
  const admin: Caller = { id: BOOTSTRAP_ADMIN_ID, kind: 'admin', scopes: ['*'] };
  const check = (key: string) =>
    expected && timingSafeEqual(sha256(key), expected) ? { ...admin, scopes: [...admin.scopes] } : undefined;
  return {
    async authenticate(key) {
      return check(key);
    },
    known: check,
  };
}

/** Tries each authenticator in order; the first that knows the key wins. */
export function chainAuthenticators(...authenticators: Authenticator[]): Authenticator {
  return {
    async authenticate(key) {
      for (const authenticator of authenticators) {
        const caller = await authenticator.authenticate(key);
        if (caller) return caller;
      }
      return undefined;
    },
    known(key) {
      for (const authenticator of authenticators) {
        const caller = authenticator.known?.(key);
        if (caller) return caller;
      }
      return undefined;
    },
  };
}

/** The key of an `Authorization: Bearer <key>` header, or undefined. */
export function bearerKey(header: string | undefined): string | undefined {
  const match = header?.match(/^\s*Bearer\s+(\S+)\s*$/i);
  return match?.[1];
}

/** The caller, or a 401 UNAUTHENTICATED GraphQL error to throw from the context function. */
export async function authenticateRequest(authenticator: Authenticator, authorization: string | undefined): Promise<Caller> {
  const key = bearerKey(authorization);
  if (key === undefined) {
    throw labHttpError(
      'UNAUTHENTICATED',
      authorization === undefined
        ? 'Missing credentials: send the header Authorization: Bearer <API key>'
        : 'Malformed Authorization header: expected Authorization: Bearer <API key>',
    );
  }
  const caller = await authenticator.authenticate(key);
  if (!caller) throw labHttpError('UNAUTHENTICATED', 'Invalid API key');
  return caller;
}
