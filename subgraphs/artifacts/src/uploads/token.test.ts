import { describe, expect, it } from 'vitest';
import { readTicket, signTicket, UPLOAD_TTL_MS, type UploadTicket } from './token';

const secret = 's'.repeat(32);
const ticket: UploadTicket = {
  v: 1,
  kind: 'RUN',
  owner: '00000000-0000-4000-8000-000000000000',
  key: 'experiments/x/runs/y/outputs/a.bin',
  name: 'a.bin',
  size: 10,
  contentType: 'application/octet-stream',
  at: Date.now(),
};

describe('upload ids', () => {
  it('round-trip', () => {
    expect(readTicket(secret, signTicket(secret, ticket))).toEqual(ticket);
  });

  it('refuse a changed byte, another secret, or an expired one', () => {
    const id = signTicket(secret, ticket);
    const [body, sig] = id.split('.') as [string, string];
    const changed = Buffer.from(JSON.stringify({ ...ticket, size: 11 })).toString('base64url');
    expect(() => readTicket(secret, `${changed}.${sig}`)).toThrow(/not an upload id/);
    expect(() => readTicket('t'.repeat(32), `${body}.${sig}`)).toThrow(/not an upload id/);
    expect(() => readTicket(secret, 'garbage')).toThrow(/not an upload id/);
    expect(() => readTicket(secret, id, ticket.at + UPLOAD_TTL_MS + 1)).toThrow(/expired/);
  });
});
