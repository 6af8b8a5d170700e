/**
 * aws-chunked bodies: AWS's documented signed-chunks example (its request
 * signature and every chunk signature accepted, any changed byte refused),
 * the unsigned-with-trailer form the AWS SDK v3 sends for streams, and
 * malformed bodies refused with a clear answer.
 */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { AwsChunkedDecoder, BadChunkedBody, type ChunkSigning } from './s3Chunked';
import { type Signed, verifySignature } from './s3Signature';

const credentials = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
const AT = Date.UTC(2013, 4, 24, 0, 0, 0);

/** AWS's example: PUT 66,560 bytes of "a" in chunks of 64 KiB and 1 KiB. */
async function exampleSigning(): Promise<ChunkSigning> {
  const signed = await verifySignature(
    {
      method: 'PUT',
      rawPath: '/examplebucket/chunkObject.txt',
      query: {},
      headers: {
        host: 's3.amazonaws.com',
        'x-amz-date': '20130524T000000Z',
        'x-amz-storage-class': 'REDUCED_REDUNDANCY',
        'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
        'content-encoding': 'aws-chunked',
        'x-amz-decoded-content-length': '66560',
        'content-length': '66824',
        authorization:
          'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,' +
          'SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,' +
          'Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9',
      },
    },
    credentials,
    AT,
  );
  expect('status' in signed).toBe(false);
  expect((signed as Signed).payload).toEqual({ kind: 'chunked', signed: true, trailer: false });
  return signed as Signed;
}

function exampleBody(): Buffer {
  return Buffer.concat([
    Buffer.from('10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n'),
    Buffer.alloc(65536, 'a'),
    Buffer.from('\r\n400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n'),
    Buffer.alloc(1024, 'a'),
    Buffer.from('\r\n0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n'),
  ]);
}

/** Feeds `body` in pieces of `step` bytes; answers the decoded bytes or the refusal. */
async function decode(body: Buffer, decoder: AwsChunkedDecoder, step = 1000): Promise<Buffer | BadChunkedBody> {
  const pieces: Buffer[] = [];
  for (let at = 0; at < body.length; at += step) pieces.push(body.subarray(at, at + step));
  const out: Buffer[] = [];
  try {
    for await (const chunk of Readable.from(pieces).pipe(decoder)) out.push(chunk as Buffer);
    return Buffer.concat(out);
  } catch (err) {
    if (err instanceof BadChunkedBody) return err;
    throw err;
  }
}

describe('signed chunks (STREAMING-AWS4-HMAC-SHA256-PAYLOAD)', () => {
  it("decodes AWS's example, whatever the pieces it arrives in", async () => {
    const signing = await exampleSigning();
    for (const step of [97, 1000, 70_000]) {
      const out = await decode(exampleBody(), new AwsChunkedDecoder({ decodedLength: 66560, trailer: false, signing }), step);
      expect(Buffer.isBuffer(out) && out.equals(Buffer.alloc(66560, 'a')), `pieces of ${step}`).toBe(true);
    }
  });

  it('refuses the example with one data byte changed, a chunk signature changed, or the last chunk dropped', async () => {
    const signing = await exampleSigning();
    const byte = exampleBody();
    byte[5000] = 'b'.charCodeAt(0);
    const signature = Buffer.from(exampleBody().toString('latin1').replace('0055627c', '1055627c'), 'latin1');
    const body = exampleBody();
    const truncated = body.subarray(0, body.length - 90);
    const refusals = [];
    for (const tampered of [byte, signature, truncated]) {
      const out = await decode(tampered, new AwsChunkedDecoder({ decodedLength: 66560, trailer: false, signing }));
      refusals.push(out instanceof BadChunkedBody ? out.refusal.code : 'accepted');
    }
    expect(refusals).toEqual(['SignatureDoesNotMatch', 'SignatureDoesNotMatch', 'IncompleteBody']);
  });
});

describe('unsigned chunks with a trailer (STREAMING-UNSIGNED-PAYLOAD-TRAILER, the AWS SDK v3 for streams)', () => {
  const body = Buffer.from('c\r\nhello stream\r\n0\r\nx-amz-checksum-crc32:gtnUUA==\r\n\r\n');

  it('decodes the data and drops the trailer', async () => {
    expect((await decode(body, new AwsChunkedDecoder({ decodedLength: 12, trailer: true }), 3)).toString()).toBe('hello stream');
  });

  it('refuses a body that disagrees with x-amz-decoded-content-length, has no final chunk or a broken frame', async () => {
    const cases: [Buffer, number][] = [
      [body, 11],
      [body, 13],
      [Buffer.from('c\r\nhello stream\r\n'), 12],
      [Buffer.from('c\r\nhello stream!!\r\n0\r\n\r\n'), 12],
      [Buffer.from('zz\r\nhello\r\n'), 12],
      [Buffer.from(`${'1'.repeat(5000)}\r\n`), 12],
    ];
    for (const [bytes, decodedLength] of cases) {
      const out = await decode(bytes, new AwsChunkedDecoder({ decodedLength, trailer: true }));
      expect(out instanceof BadChunkedBody ? out.refusal.status : 'accepted').toBe(400);
    }
  });
});
