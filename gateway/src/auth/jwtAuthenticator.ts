/**
 * JWT bearer tokens for front ends, beside API keys (docs/api/identity-and-scopes.md).
 *
 * A bearer credential is taken for a JWT by its shape alone — three base64url
 * segments, the first decoding to a JSON header — and only when JWTs are
 * configured; anything else is left to the next authenticator. A token that
 * is a JWT but fails verification is UNAUTHENTICATED with the reason
 * (expired, bad signature, wrong audience, ...), never with the token.
 *
 * Keys: HS256 with a shared secret; RS256 and ES256 with a JWKS, remote
 * (`createRemoteJWKSet`: cached, refetched when a token names an unknown
 * kid) or given as JSON (a local file). The token's `alg` picks the key
 * source; no other algorithm is accepted, so an HS256 token can never be
 * checked against a public key. Issuer and audience are always checked.
 *
 * Caller: `sub` is the registry user's id (a UUID; never the bootstrap
 * admin's); scopes come from `scope` (space separated, OAuth 2) or `scp`
 * (array or space separated). A JWT caller is always a `user`: whether the
 * user is an admin is the registry's to say, not the token's. Its `expiresAt`
 * is `exp` plus the clock tolerance, the last moment the token is accepted
 * here: an open socket authenticated with it closes then.
 */
import { readFile } from 'node:fs/promises';
import { type Caller, type JwtConfig, labHttpError } from '@lab/shared';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  type JSONWebKeySet,
  type JWSHeaderParameters,
  type JWTPayload,
  jwtVerify,
} from 'jose';
import { BOOTSTRAP_ADMIN_ID } from '../constants';
import type { Authenticator } from './authenticate';

export const HMAC_ALGORITHMS = ['HS256'] as const;
export const JWKS_ALGORITHMS = ['RS256', 'ES256'] as const;

export interface JwtAuthenticatorOptions {
  /** HS256 shared secret (32+ characters). */
  secret?: string;
  /** RS256/ES256 public keys: a JWKS URL (fetched, cached, refetched at most every 30 s for an unknown kid) ... */
  jwksUrl?: string;
  /** ... or the JWKS itself. */
  jwks?: JSONWebKeySet;
  /** Required `iss`. */
  issuer: string;
  /** Accepted `aud` values (the token must name one). */
  audience: string | string[];
  /** Seconds of clock skew allowed on exp, nbf and iat (default 30). */
  clockToleranceSeconds?: number;
  /** Timeout of a JWKS fetch, in ms (default 5000). */
  jwksTimeoutMs?: number;
  /** Milliseconds since the epoch (default Date.now); tokens are checked against it. */
  now?: () => number;
}

const SEGMENT = /^[A-Za-z0-9_-]+$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/** Whether a bearer credential has the shape of a compact JWS: three base64url segments and a JSON header. */
export function looksLikeJwt(token: string): boolean {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((p, i) => SEGMENT.test(p) || (i === 2 && p === ''))) return false;
  try {
    const header = JSON.parse(Buffer.from(parts[0] as string, 'base64url').toString('utf8')) as unknown;
    return typeof header === 'object' && header !== null && 'alg' in header;
  } catch {
    return false;
  }
}

const refuse = (reason: string) => labHttpError('UNAUTHENTICATED', `Invalid token: ${reason}`);

/** The reason a token failed, for the client: what is wrong, never the token or the key. */
function reasonOf(err: unknown, options: JwtAuthenticatorOptions): string {
  if (err instanceof errors.JWTExpired) return 'expired';
  if (err instanceof errors.JWTClaimValidationFailed) {
    switch (err.claim) {
      case 'aud':
        return 'wrong audience';
      case 'iss':
        return 'wrong issuer';
      case 'nbf':
        return 'not valid yet (nbf)';
      case 'iat':
        return 'issued in the future (iat)';
      default:
        return `claim ${err.claim} ${err.reason === 'missing' ? 'is missing' : 'is invalid'}`;
    }
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'bad signature';
  if (err instanceof errors.JOSEAlgNotAllowed) {
    return `algorithm not accepted (accepted: ${acceptedAlgorithms(options).join(', ')})`;
  }
  if (err instanceof errors.JWKSNoMatchingKey) return 'no key of the JWKS matches its kid and alg';
  if (err instanceof errors.JWKSMultipleMatchingKeys) return 'several keys of the JWKS match; the token must name its kid';
  if (err instanceof errors.JWTInvalid || err instanceof errors.JWSInvalid) return 'malformed';
  return 'cannot be verified';
}

/** A failure to fetch the remote JWKS (network, timeout, non-200 answer, unreadable body), not of the token. */
function jwksUnavailable(err: unknown): boolean {
  if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid) return true;
  if (err instanceof errors.JOSEError) return err.constructor === errors.JOSEError; // "Expected 200 OK ..."
  return true;
}

function acceptedAlgorithms(options: JwtAuthenticatorOptions): string[] {
  return [...(options.secret ? HMAC_ALGORITHMS : []), ...(options.jwksUrl || options.jwks ? JWKS_ALGORITHMS : [])];
}

/** Scopes of `scope` (space separated) or `scp` (array, or space separated). */
export function scopesOf(payload: JWTPayload): string[] {
  const raw = payload.scope ?? payload.scp;
  const list = typeof raw === 'string' ? raw.split(' ') : Array.isArray(raw) ? raw : [];
  return [...new Set(list.filter((s): s is string => typeof s === 'string' && s.length > 0))];
}

export function jwtAuthenticator(options: JwtAuthenticatorOptions): Authenticator {
  const algorithms = acceptedAlgorithms(options);
  if (algorithms.length === 0) throw new Error('jwtAuthenticator needs a secret (HS256) or a JWKS (RS256, ES256)');
  if (options.jwksUrl && options.jwks) throw new Error('jwtAuthenticator takes a JWKS URL or a JWKS, not both');
  const hmacKey = options.secret ? new TextEncoder().encode(options.secret) : undefined;
  const keySet = options.jwksUrl
    ? createRemoteJWKSet(new URL(options.jwksUrl), { timeoutDuration: options.jwksTimeoutMs ?? 5_000 })
    : options.jwks
      ? createLocalJWKSet(options.jwks)
      : undefined;

  const keyFor = async (header: JWSHeaderParameters, token: Parameters<NonNullable<typeof keySet>>[1]) => {
    if (header.alg?.startsWith('HS')) {
      if (!hmacKey) throw new errors.JOSEAlgNotAllowed('"alg" (Algorithm) Header Parameter value not allowed');
      return hmacKey;
    }
    if (!keySet) throw new errors.JOSEAlgNotAllowed('"alg" (Algorithm) Header Parameter value not allowed');
    return keySet(header, token);
  };

  const tolerance = options.clockToleranceSeconds ?? 30;
  return {
    async authenticate(token) {
      if (!looksLikeJwt(token)) return undefined;
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, keyFor, {
          algorithms,
          issuer: options.issuer,
          audience: options.audience,
          clockTolerance: tolerance,
          requiredClaims: ['sub', 'exp'],
          ...(options.now ? { currentDate: new Date(options.now()) } : {}),
        }));
      } catch (err) {
        if (options.jwksUrl && jwksUnavailable(err)) {
          // The JWKS could not be fetched: the token may be fine.
          throw labHttpError('SERVICE_UNAVAILABLE', 'Cannot check the token: the JWKS is unavailable; retry shortly', {
            service: 'jwks',
          });
        }
        throw refuse(reasonOf(err, options));
      }
      const sub = payload.sub as string;
      if (!UUID.test(sub)) throw refuse('sub must be a registry user id (a UUID)');
      if (sub.toLowerCase() === BOOTSTRAP_ADMIN_ID) throw refuse('sub may not be the bootstrap admin');
      const caller: Caller = {
        id: sub.toLowerCase(),
        kind: 'user',
        scopes: scopesOf(payload),
        expiresAt: ((payload.exp as number) + tolerance) * 1000,
      };
      return caller;
    },
  };
}

/** The authenticator the configuration asks for (reading a JWKS file now), or undefined when JWTs are off. */
export async function jwtAuthenticatorFromConfig(
  config: JwtConfig | undefined,
  now?: () => number,
): Promise<Authenticator | undefined> {
  if (!config) return undefined;
  let jwks: JSONWebKeySet | undefined;
  if (config.jwksFile) {
    try {
      jwks = JSON.parse(await readFile(config.jwksFile, 'utf8')) as JSONWebKeySet;
    } catch (err) {
      throw new Error(`LAB_JWT_JWKS_FILE ${config.jwksFile} is not a readable JWKS (JSON with "keys"): ${String(err)}`);
    }
    if (!Array.isArray(jwks?.keys)) throw new Error(`LAB_JWT_JWKS_FILE ${config.jwksFile} has no "keys" array`);
  }
  return jwtAuthenticator({
    secret: config.secret,
    jwksUrl: config.jwksUrl,
    jwks,
    issuer: config.issuer,
    audience: config.audience,
    clockToleranceSeconds: config.clockToleranceSeconds,
    now,
  });
}
