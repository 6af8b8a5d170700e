/**
 * SigV4 checking against the worked examples of AWS's S3 documentation
 * ("Signature calculations for the Authorization header" and "Authenticating
 * requests: using query parameters"): each signature AWS publishes is
 * accepted, and any change to what it covers is refused.
 */
import { describe, expect, it } from 'vitest';
import type { S3Refusal } from './s3Errors';
import { type SignableRequest, type Signed, verifySignature } from './s3Signature';

const credentials = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
const AT = Date.UTC(2013, 4, 24, 0, 0, 0);
const EMPTY = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const credential = 'AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request';

const getObject = (): SignableRequest => ({
  method: 'GET',
  rawPath: '/test.txt',
  query: {},
  headers: {
    host: 'examplebucket.s3.amazonaws.com',
    range: 'bytes=0-9',
    'x-amz-content-sha256': EMPTY,
    'x-amz-date': '20130524T000000Z',
    authorization: `AWS4-HMAC-SHA256 Credential=${credential},SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41`,
  },
});

const presignedGet = (): SignableRequest => ({
  method: 'GET',
  rawPath: '/test.txt',
  query: {
    'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
    'X-Amz-Credential': credential,
    'X-Amz-Date': '20130524T000000Z',
    'X-Amz-Expires': '86400',
    'X-Amz-SignedHeaders': 'host',
    'X-Amz-Signature': 'aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404',
  },
  headers: { host: 'examplebucket.s3.amazonaws.com' },
});

const refusalOf = (result: Signed | S3Refusal) =>
  'status' in result ? { status: result.status, code: result.code } : 'accepted';

describe('SigV4 in the Authorization header', () => {
  it("accepts AWS's GET Object example", async () => {
    const result = await verifySignature(getObject(), credentials, AT);
    expect(refusalOf(result)).toBe('accepted');
    expect((result as Signed).payload).toEqual({ kind: 'sha256', hex: EMPTY });
  });

  it("accepts AWS's PUT Object example (a key with $, the Date header and a storage class signed)", async () => {
    const request: SignableRequest = {
      method: 'PUT',
      rawPath: '/test%24file.text',
      query: {},
      headers: {
        host: 'examplebucket.s3.amazonaws.com',
        date: 'Fri, 24 May 2013 00:00:00 GMT',
        'x-amz-date': '20130524T000000Z',
        'x-amz-storage-class': 'REDUCED_REDUNDANCY',
        'x-amz-content-sha256': '44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072',
        authorization: `AWS4-HMAC-SHA256 Credential=${credential},SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class,Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd`,
      },
    };
    expect(refusalOf(await verifySignature(request, credentials, AT))).toBe('accepted');
  });

  it("accepts AWS's GET Bucket lifecycle and list examples (query parameters signed)", async () => {
    const base = { method: 'GET', rawPath: '/' };
    const headers = (signature: string) => ({
      host: 'examplebucket.s3.amazonaws.com',
      'x-amz-date': '20130524T000000Z',
      'x-amz-content-sha256': EMPTY,
      authorization: `AWS4-HMAC-SHA256 Credential=${credential},SignedHeaders=host;x-amz-content-sha256;x-amz-date,Signature=${signature}`,
    });
    const lifecycle = {
      ...base,
      query: { lifecycle: '' },
      headers: headers('fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543'),
    };
    const list = {
      ...base,
      query: { 'max-keys': '2', prefix: 'J' },
      headers: headers('34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7'),
    };
    expect(refusalOf(await verifySignature(lifecycle, credentials, AT))).toBe('accepted');
    expect(refusalOf(await verifySignature(list, credentials, AT))).toBe('accepted');
  });

  it('refuses the example once anything it covers changes', async () => {
    const changed: [string, (r: SignableRequest) => void][] = [
      ['another key', (r) => (r.rawPath = '/other.txt')],
      ['another method', (r) => (r.method = 'DELETE')],
      ['another range', (r) => (r.headers.range = 'bytes=0-99')],
      ['a query parameter added', (r) => (r.query.versionId = 'x')],
      ['another body hash', (r) => (r.headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD')],
    ];
    for (const [what, change] of changed) {
      const request = getObject();
      change(request);
      expect(refusalOf(await verifySignature(request, credentials, AT)), what).toEqual({
        status: 403,
        code: 'SignatureDoesNotMatch',
      });
    }
  });

  it('refuses another secret, another access key, an unsigned x-amz header, a stale date and no signature at all', async () => {
    const other = { ...credentials, secretAccessKey: 'another secret' };
    expect(refusalOf(await verifySignature(getObject(), other, AT))).toEqual({ status: 403, code: 'SignatureDoesNotMatch' });
    const stranger = { ...credentials, accessKeyId: 'AKIAOTHER' };
    expect(refusalOf(await verifySignature(getObject(), stranger, AT))).toEqual({ status: 403, code: 'InvalidAccessKeyId' });
    const copy = getObject();
    copy.headers['x-amz-copy-source'] = 'examplebucket/secret.txt';
    expect(refusalOf(await verifySignature(copy, credentials, AT))).toEqual({ status: 403, code: 'AccessDenied' });
    expect(refusalOf(await verifySignature(getObject(), credentials, AT + 16 * 60_000))).toEqual({
      status: 403,
      code: 'RequestTimeTooSkewed',
    });
    const anonymous = getObject();
    delete anonymous.headers.authorization;
    expect(refusalOf(await verifySignature(anonymous, credentials, AT))).toEqual({ status: 403, code: 'AccessDenied' });
  });

  it('refuses Signature Version 2', async () => {
    const v2 = getObject();
    v2.headers.authorization = 'AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=';
    expect(refusalOf(await verifySignature(v2, credentials, AT))).toEqual({ status: 400, code: 'InvalidRequest' });
  });
});

describe('SigV4 in a presigned URL', () => {
  it("accepts AWS's presigned GET example until it expires, then refuses it", async () => {
    const result = await verifySignature(presignedGet(), credentials, AT + 3600_000);
    expect(refusalOf(result)).toBe('accepted');
    expect((result as Signed).payload).toEqual({ kind: 'unsigned' });
    expect(refusalOf(await verifySignature(presignedGet(), credentials, AT + 86_401_000))).toEqual({
      status: 403,
      code: 'AccessDenied',
    });
  });

  it('refuses the URL edited to another key, a longer life, or with a parameter added', async () => {
    const edits: ((r: SignableRequest) => void)[] = [
      (r) => (r.rawPath = '/other.txt'),
      (r) => (r.query['X-Amz-Expires'] = '604800'),
      (r) => (r.query['response-content-type'] = 'text/html'),
    ];
    for (const edit of edits) {
      const request = presignedGet();
      edit(request);
      expect(refusalOf(await verifySignature(request, credentials, AT))).toEqual({ status: 403, code: 'SignatureDoesNotMatch' });
    }
  });

  it('refuses a URL missing a part, and one that also carries an Authorization header', async () => {
    const partial = presignedGet();
    delete partial.query['X-Amz-Date'];
    expect(refusalOf(await verifySignature(partial, credentials, AT))).toEqual({
      status: 400,
      code: 'AuthorizationQueryParametersError',
    });
    const both = presignedGet();
    both.headers.authorization = getObject().headers.authorization;
    expect(refusalOf(await verifySignature(both, credentials, AT))).toEqual({ status: 400, code: 'InvalidArgument' });
  });
});
