import { describe, expect, it } from 'vitest';
import { type Caller, signContext, verifyContext } from './callerContext';

const secret = 'x'.repeat(40);
const caller: Caller = { id: 'u1', kind: 'user', scopes: [] };
const query = '{ me { id } }';

describe('signed caller context', () => {
  it('round-trips caller and request id', () => {
    const header = signContext(secret, { requestId: 'r1', caller, query });
    const result = verifyContext(secret, header, query);
    expect(result).toMatchObject({ ok: true, context: { requestId: 'r1', caller } });
  });

  it('refuses a missing, forged or tampered context', () => {
    const header = signContext(secret, { requestId: 'r1', caller, query });
    expect(verifyContext(secret, undefined, query)).toMatchObject({ ok: false, reason: /missing/ });
    expect(verifyContext('y'.repeat(40), header, query)).toMatchObject({ ok: false, reason: /signature/ });
    const [body, mac] = header.split('.');
    const admin = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(body!, 'base64url').toString()), caller: { ...caller, kind: 'admin' } }),
    ).toString('base64url');
    expect(verifyContext(secret, `${admin}.${mac}`, query)).toMatchObject({ ok: false, reason: /signature/ });
    expect(verifyContext(secret, 'garbage', query)).toMatchObject({ ok: false });
  });

  it('refuses an expired context, and one issued for another operation', () => {
    const old = signContext(secret, { requestId: 'r1', caller, query, now: Date.now() - 10 * 60_000 });
    expect(verifyContext(secret, old, query)).toMatchObject({ ok: false, reason: /expired/ });
    const header = signContext(secret, { requestId: 'r1', caller, query });
    expect(verifyContext(secret, header, 'mutation { dropEverything }')).toMatchObject({
      ok: false,
      reason: /another operation/,
    });
  });
});
