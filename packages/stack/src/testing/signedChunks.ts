/**
 * Test support: a PUT whose body travels in signed chunks
 * (STREAMING-AWS4-HMAC-SHA256-PAYLOAD, aws-chunked), signed with AWS's own
 * signer as S3's documentation describes. The AWS SDK v3 for JavaScript never
 * sends this form itself, but other S3 clients do; tests send it to the
 * embedded server and to a real S3 (Ceph RGW) alike.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';

type Sha256Constructor = ConstructorParameters<typeof SignatureV4>[0]['sha256'];

export interface SignedChunkedPut {
  /** e.g. http://127.0.0.1:4569 */
  endpoint: string;
  /** `bucket/key`, path-style, URL-safe. */
  path: string;
  body: Buffer;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** A SHA-256 constructor as AWS's signer takes it (an S3Client's `config.sha256`). */
  sha256: Sha256Constructor;
  region?: string;
  chunkBytes?: number;
  /** Changes the encoded body after it was signed. */
  tamper?: (encoded: Buffer) => void;
}

const EMPTY_SHA256 = createHash('sha256').digest('hex');
const sha256Hex = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const SIGNATURE_BYTES = 64;
const frameBytes = (size: number) => size.toString(16).length + ';chunk-signature='.length + SIGNATURE_BYTES + 2 + size + 2;

/** Sends the PUT; answers the status and the S3 error code, if any. */
export async function signedChunkedPut(o: SignedChunkedPut): Promise<{ status: number; code: string | undefined }> {
  const region = o.region ?? 'us-east-1';
  const chunkBytes = o.chunkBytes ?? 64 * 1024;
  const url = new URL(`${o.endpoint}/${o.path}`);
  const chunks: Buffer[] = [];
  for (let at = 0; at < o.body.length; at += chunkBytes) chunks.push(o.body.subarray(at, at + chunkBytes));
  chunks.push(Buffer.alloc(0));
  const signingDate = new Date();
  const signer = new SignatureV4({
    credentials: o.credentials,
    region,
    service: 's3',
    sha256: o.sha256,
    uriEscapePath: false,
    applyChecksum: false,
  });
  const signed = await signer.sign(
    {
      method: 'PUT',
      protocol: url.protocol,
      hostname: url.hostname,
      port: Number(url.port),
      path: url.pathname,
      query: {},
      headers: {
        host: url.host,
        'content-encoding': 'aws-chunked',
        'content-length': String(chunks.reduce((sum, c) => sum + frameBytes(c.length), 0)),
        'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
        'x-amz-decoded-content-length': String(o.body.length),
      },
    },
    { signingDate },
  );
  const longDate = signed.headers['x-amz-date'] as string;
  const scope = `${longDate.slice(0, 8)}/${region}/s3/aws4_request`;
  let previous = /Signature=([0-9a-f]{64})/.exec(signed.headers.authorization ?? '')?.[1] ?? '';
  const frames: Buffer[] = [];
  for (const chunk of chunks) {
    const stringToSign = ['AWS4-HMAC-SHA256-PAYLOAD', longDate, scope, previous, EMPTY_SHA256, sha256Hex(chunk)].join('\n');
    previous = await signer.sign(stringToSign, { signingDate });
    frames.push(Buffer.from(`${chunk.length.toString(16)};chunk-signature=${previous}\r\n`), chunk, Buffer.from('\r\n'));
  }
  const encoded = Buffer.concat(frames);
  o.tamper?.(encoded);
  return new Promise((resolve, reject) => {
    http
      .request(url, { method: 'PUT', headers: signed.headers }, (res) => {
        const body: Buffer[] = [];
        res.on('data', (c: Buffer) => body.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            code: /<Code>([^<]+)<\/Code>/.exec(Buffer.concat(body).toString())?.[1],
          }),
        );
      })
      .on('error', reject)
      .end(encoded);
  });
}
