/**
 * Real tokens, signed here: HS256 with a shared secret, RS256 and ES256 with
 * keys published as a JWKS over HTTP on a free port (and as a local JWKS).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { GraphQLError } from 'graphql';
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BOOTSTRAP_ADMIN_ID } from '../constants';
import { adminKeyAuthenticator, authenticateRequest, chainAuthenticators } from './authenticate';
import { jwtAuthenticator, looksLikeJwt, scopesOf } from './jwtAuthenticator';

const SECRET = 'jwt-secret-for-tests-0123456789abcdef';
const ISSUER = 'https://login.lab.test/';
const AUDIENCE = 'lab-api';
const USER = '6f1c2d3e-4a5b-4c6d-8e7f-0123456789ab';

let rsa: CryptoKey;
let ec: CryptoKey;
let otherRsa: CryptoKey;
let jwks: { keys: JWK[] };
let jwksServer: http.Server;
let jwksUrl: string;
let jwksFetches = 0;
let jwksDown = false;

beforeAll(async () => {
  const rsaPair = await generateKeyPair('RS256');
  const ecPair = await generateKeyPair('ES256');
  rsa = rsaPair.privateKey;
  ec = ecPair.privateKey;
  otherRsa = (await generateKeyPair('RS256')).privateKey;
  jwks = {
    keys: [
      { ...(await exportJWK(rsaPair.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
      { ...(await exportJWK(ecPair.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' },
    ],
  };
  jwksServer = http.createServer((_req, res) => {
    jwksFetches++;
    if (jwksDown) {
      res.writeHead(503).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks));
  });
  await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
  jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/.well-known/jwks.json`;
});

afterAll(async () => {
  await new Promise((resolve) => jwksServer?.close(resolve));
});

interface Claims {
  sub?: string;
  iss?: string;
  aud?: string | string[];
  exp?: number | string;
  nbf?: number;
  [claim: string]: unknown;
}

async function sign(key: CryptoKey | Uint8Array, alg: string, claims: Claims = {}, kid?: string): Promise<string> {
  const { sub = USER, iss = ISSUER, aud = AUDIENCE, exp = '5m', nbf, ...rest } = claims;
  const jwt = new SignJWT(rest)
    .setProtectedHeader({ alg, ...(kid ? { kid } : {}) })
    .setIssuedAt()
    .setIssuer(iss)
    .setAudience(aud)
    .setExpirationTime(exp);
  if (sub) jwt.setSubject(sub);
  if (nbf !== undefined) jwt.setNotBefore(nbf);
  return jwt.sign(key);
}

const hmac = new TextEncoder().encode(SECRET);
const now = () => Math.floor(Date.now() / 1000);

async function refusal(promise: Promise<unknown>): Promise<GraphQLError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GraphQLError);
  return err as GraphQLError;
}

describe('looksLikeJwt', () => {
  it('tells a JWT from an API key by its shape', async () => {
    expect(looksLikeJwt(await sign(hmac, 'HS256'))).toBe(true);
    for (const key of [
      'lab_abcdefgh_0123456789abcdef0123456789abcdef',
      'admin-key-0123456789abcdef',
      'a.b.c',
      'eyJ.eyJ.sig.extra',
      `${Buffer.from('{"typ":"x"}').toString('base64url')}.e30.sig`,
      'not base64!.e30.sig',
    ]) {
      expect(looksLikeJwt(key), key).toBe(false);
    }
  });
});

describe('scopesOf', () => {
  it('reads scope (space separated) or scp (array or string)', () => {
    expect(scopesOf({ scope: 'read  write' })).toEqual(['read', 'write']);
    expect(scopesOf({ scp: ['read', 'admin', 'read'] })).toEqual(['read', 'admin']);
    expect(scopesOf({ scp: 'write' })).toEqual(['write']);
    expect(scopesOf({})).toEqual([]);
  });
});

describe('HS256 with a shared secret', () => {
  const auth = jwtAuthenticator({ secret: SECRET, issuer: ISSUER, audience: AUDIENCE });

  it('turns a valid token into a user caller with its scopes, valid until exp plus the clock tolerance', async () => {
    const exp = now() + 300;
    expect(await auth.authenticate(await sign(hmac, 'HS256', { scope: 'read write', exp }))).toEqual({
      id: USER,
      kind: 'user',
      scopes: ['read', 'write'],
      expiresAt: (exp + 30) * 1000,
    });
  });

  it('checks the token against its clock: refused from exp plus the tolerance on', async () => {
    const exp = now() + 300;
    let clock = exp * 1000;
    const timed = jwtAuthenticator({
      secret: SECRET,
      issuer: ISSUER,
      audience: AUDIENCE,
      clockToleranceSeconds: 5,
      now: () => clock,
    });
    const token = await sign(hmac, 'HS256', { exp });
    expect(await timed.authenticate(token)).toMatchObject({ expiresAt: (exp + 5) * 1000 });
    clock = (exp + 5) * 1000 + 1000;
    expect((await refusal(timed.authenticate(token))).message).toBe('Invalid token: expired');
  });

  it('leaves anything that is not a JWT to the next authenticator', async () => {
    expect(await auth.authenticate('lab_abcdefgh_0123456789abcdef0123456789abcdef')).toBeUndefined();
  });

  it('refuses a bad token with 401 UNAUTHENTICATED saying why, never echoing it', async () => {
    const wrongSecret = new TextEncoder().encode(`${SECRET}-other`);
    const cases: [string, Promise<string>, RegExp][] = [
      ['expired', sign(hmac, 'HS256', { exp: now() - 120 }), /expired/],
      ['bad signature', sign(wrongSecret, 'HS256'), /bad signature/],
      ['wrong audience', sign(hmac, 'HS256', { aud: 'another-api' }), /wrong audience/],
      ['wrong issuer', sign(hmac, 'HS256', { iss: 'https://evil.test/' }), /wrong issuer/],
      ['not yet valid', sign(hmac, 'HS256', { nbf: now() + 3600 }), /not valid yet/],
      ['sub not a UUID', sign(hmac, 'HS256', { sub: 'gateway' }), /sub must be a registry user id/],
      ['bootstrap admin', sign(hmac, 'HS256', { sub: BOOTSTRAP_ADMIN_ID }), /bootstrap admin/],
      ['no sub', sign(hmac, 'HS256', { sub: '' }), /claim sub is missing/],
      ['RS256 without a JWKS', sign(rsa, 'RS256', {}, 'rsa-1'), /algorithm not accepted \(accepted: HS256\)/],
    ];
    for (const [name, pending, reason] of cases) {
      const token = await pending;
      const err = await refusal(auth.authenticate(token));
      expect(err.extensions.code, name).toBe('UNAUTHENTICATED');
      expect(err.extensions.http, name).toEqual({ status: 401 });
      expect(err.message, name).toMatch(/^Invalid token: /);
      expect(err.message, name).toMatch(reason);
      expect(err.message, name).not.toContain(token.split('.')[2]);
    }
  });

  it('allows the configured clock skew on exp', async () => {
    const lenient = jwtAuthenticator({ secret: SECRET, issuer: ISSUER, audience: AUDIENCE, clockToleranceSeconds: 60 });
    const justExpired = await sign(hmac, 'HS256', { exp: now() - 20 });
    expect(await lenient.authenticate(justExpired)).toMatchObject({ id: USER });
    const strict = jwtAuthenticator({ secret: SECRET, issuer: ISSUER, audience: AUDIENCE, clockToleranceSeconds: 0 });
    expect((await refusal(strict.authenticate(justExpired))).message).toMatch(/expired/);
  });

  it('refuses an unsigned token (alg none)', async () => {
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(
      JSON.stringify({ sub: USER, iss: ISSUER, aud: AUDIENCE, exp: now() + 60 }),
    ).toString('base64url')}.`;
    expect(looksLikeJwt(none)).toBe(true);
    expect((await refusal(auth.authenticate(none))).message).toMatch(/algorithm not accepted/);
  });
});

describe('RS256 and ES256 with a JWKS served over HTTP', () => {
  it('verifies tokens of either key, fetching the JWKS once', async () => {
    jwksFetches = 0;
    const auth = jwtAuthenticator({ jwksUrl, issuer: ISSUER, audience: [AUDIENCE, 'lab-console'] });
    expect(await auth.authenticate(await sign(rsa, 'RS256', { scp: ['read'] }, 'rsa-1'))).toMatchObject({
      id: USER,
      kind: 'user',
      scopes: ['read'],
    });
    expect(await auth.authenticate(await sign(ec, 'ES256', { aud: 'lab-console', scope: 'admin' }, 'ec-1'))).toMatchObject({
      scopes: ['admin'],
    });
    expect(jwksFetches).toBe(1);
  });

  it('refuses a token signed by a key the JWKS does not hold, or forged with the public key as an HMAC secret', async () => {
    const auth = jwtAuthenticator({ jwksUrl, issuer: ISSUER, audience: AUDIENCE });
    expect((await refusal(auth.authenticate(await sign(otherRsa, 'RS256', {}, 'rsa-1')))).message).toMatch(/bad signature/);
    expect((await refusal(auth.authenticate(await sign(otherRsa, 'RS256', {}, 'rsa-9')))).message).toMatch(
      /no key of the JWKS matches/,
    );
    const publicAsSecret = new TextEncoder().encode(JSON.stringify(jwks.keys[0]));
    expect((await refusal(auth.authenticate(await sign(publicAsSecret, 'HS256')))).message).toMatch(
      /algorithm not accepted \(accepted: RS256, ES256\)/,
    );
  });

  it('answers 503 SERVICE_UNAVAILABLE, not 401, when the JWKS cannot be fetched', async () => {
    jwksDown = true;
    try {
      const auth = jwtAuthenticator({ jwksUrl, issuer: ISSUER, audience: AUDIENCE });
      const err = await refusal(auth.authenticate(await sign(rsa, 'RS256', {}, 'rsa-1')));
      expect(err.extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', http: { status: 503 } });
    } finally {
      jwksDown = false;
    }
  });

  it('takes a local JWKS too, beside an HS256 secret', async () => {
    const auth = jwtAuthenticator({ jwks, secret: SECRET, issuer: ISSUER, audience: AUDIENCE });
    expect(await auth.authenticate(await sign(ec, 'ES256', {}, 'ec-1'))).toMatchObject({ id: USER });
    expect(await auth.authenticate(await sign(hmac, 'HS256'))).toMatchObject({ id: USER });
  });
});

describe('in the authenticator chain', () => {
  const chain = chainAuthenticators(
    adminKeyAuthenticator('admin-key-0123456789abcdef'),
    jwtAuthenticator({ secret: SECRET, issuer: ISSUER, audience: AUDIENCE }),
  );

  it('authenticates a Bearer JWT beside the admin key', async () => {
    const token = await sign(hmac, 'HS256', { scope: 'read' });
    await expect(authenticateRequest(chain, `Bearer ${token}`)).resolves.toMatchObject({
      id: USER,
      kind: 'user',
      scopes: ['read'],
    });
    await expect(authenticateRequest(chain, 'Bearer admin-key-0123456789abcdef')).resolves.toMatchObject({ kind: 'admin' });
  });

  it('without JWTs configured, a JWT is just an unknown API key', async () => {
    const token = await sign(hmac, 'HS256');
    const err = await refusal(authenticateRequest(adminKeyAuthenticator('admin-key-0123456789abcdef'), `Bearer ${token}`));
    expect(err.message).toBe('Invalid API key');
  });
});
