/**
 * Failed authentications, limited per client address. A credential the
 * gateway cannot answer from memory (an API key it has not cached, a JWT)
 * takes a token from its address's bucket before it is checked and gets it
 * back when it proves good, so only failures spend the bucket: from one
 * address at most `burst` bad credentials, then `perSecond`, are ever checked
 * (and so reach the registry). An address whose bucket is empty is answered
 * 429 RATE_LIMITED with Retry-After before any check, except for a credential
 * the gateway already knows good (a cached live key, the bootstrap admin
 * key): other clients behind the same address keep working. IPv6 addresses
 * count by their /64, which one host usually holds whole. Buckets live in
 * this process, at most `maxAddresses` (protection/tokenBuckets.ts).
 * `refuseEarly` answers such requests on /graphql before their
 * body is read or parsed, so a flood costs the gateway little too.
 */
import type { Caller } from '@lab/shared';
import type { RequestHandler } from 'express';
import { rateLimitedError } from '../protection/rateLimiter';
import { TokenBuckets } from '../protection/tokenBuckets';
import { type Authenticator, authenticateRequest, bearerKey } from './authenticate';
import { sendAuthFailure } from './authFailures';

export interface AuthFailureLimitOptions {
  /** Failures an address may make per second, after its burst (fractions allowed). Default 1; 0 turns the limit off. */
  perSecond?: number;
  /** Failures an address may make at once after being quiet. Default 20. */
  burst?: number;
  /** Most addresses whose buckets are kept (least recently seen dropped first). Default 100,000. */
  maxAddresses?: number;
  /** Called for each request refused. */
  onLimited?: () => void;
  /** Milliseconds now; for tests. Default performance.now. */
  now?: () => number;
}

export const AUTH_FAILURE_LIMIT_DEFAULTS = { perSecond: 1, burst: 20, maxAddresses: 100_000 } as const;

export interface AuthFailureLimit {
  /** authenticateRequest for a client at `address` (the socket's remote address), limited as above. */
  authenticate(authenticator: Authenticator, authorization: string | undefined, address: string | undefined): Promise<Caller>;
  /** Express middleware: answers 429 RATE_LIMITED at once, body unread, a request `authenticate` would refuse. */
  refuseEarly(authenticator: Authenticator): RequestHandler;
  readonly enabled: boolean;
}

/** The unit an address is counted by: an IPv4 address, or the /64 of an IPv6 one. */
export function addressKey(address: string | undefined): string {
  if (!address) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1] as string;
  if (!address.includes(':')) return address;
  const halves = (address.split('%')[0] as string).toLowerCase().split('::');
  const left = halves[0] ? halves[0].split(':') : [];
  const right = halves.length > 1 && halves[1] ? halves[1].split(':') : [];
  const groups = halves.length > 1 ? [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right] : left;
  return `${groups
    .slice(0, 4)
    .map((group) => Number.parseInt(group || '0', 16).toString(16))
    .join(':')}::/64`;
}

const codeOf = (err: unknown) => (err as { extensions?: { code?: unknown } }).extensions?.code;

export function authFailureLimit(options: AuthFailureLimitOptions = {}): AuthFailureLimit {
  const buckets = new TokenBuckets(
    { ...options, maxKeys: options.maxAddresses },
    { ...AUTH_FAILURE_LIMIT_DEFAULTS, maxKeys: AUTH_FAILURE_LIMIT_DEFAULTS.maxAddresses },
  );
  const { perSecond, burst, enabled } = buckets;

  const message = (retryAfter: number) =>
    `Too many failed authentications from this address: ${perSecond} per second with bursts of ${burst}; retry after ${retryAfter} s`;

  /** Seconds until the address may try a credential the gateway does not know, or undefined when it may now. */
  const refusal = (authenticator: Authenticator, key: string | undefined, address: string | undefined) => {
    if (key === undefined || !enabled || authenticator.known?.(key)) return undefined;
    return buckets.retryAfter(addressKey(address));
  };

  return {
    enabled,
    refuseEarly(authenticator) {
      return (req, res, next) => {
        const retryAfter = refusal(authenticator, bearerKey(req.headers.authorization), req.socket.remoteAddress);
        if (retryAfter === undefined) return next();
        options.onLimited?.();
        req.resume(); // the body is not read
        sendAuthFailure(res, { kind: 'RATE_LIMITED', message: message(retryAfter), retryAfter }, 'graphql');
      };
    },
    async authenticate(authenticator, authorization, address) {
      const key = bearerKey(authorization);
      if (key === undefined || !enabled) return authenticateRequest(authenticator, authorization);
      const known = authenticator.known?.(key);
      if (known) return known;
      const id = addressKey(address);
      const decision = buckets.take(id);
      if (!decision.allowed) {
        options.onLimited?.();
        throw rateLimitedError(message(decision.retryAfterSeconds), decision.retryAfterSeconds);
      }
      const giveBack = () => buckets.giveBack(id);
      try {
        const caller = await authenticateRequest(authenticator, authorization);
        giveBack();
        return caller;
      } catch (err) {
        if (codeOf(err) !== 'UNAUTHENTICATED') giveBack(); // e.g. the registry being down is no failure of the client's
        throw err;
      }
    },
  };
}
