/**
 * The embedded S3 server as a client meets it: requests signed by the AWS SDK
 * v3 (and by AWS's signer, for what the SDK cannot be made to send) work;
 * unsigned, tampered, expired and wrongly keyed ones are refused the way S3
 * refuses them; and no key, bucket, upload id or copy source reaches a file
 * outside the server's folder, whatever its encoding.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embeddedS3Client } from '../testing/embeddedS3Client';
import { signedChunkedPut } from '../testing/signedChunks';
import { type EmbeddedS3, startEmbeddedS3 } from './s3';
import { CREDENTIALS_FILE } from './s3Credentials';

const BUCKET = 'lab-data';
const dir = mkdtempSync(path.join(tmpdir(), 'embedded-s3-front-'));
const dataDir = path.join(dir, 's3');
/** A file next to the server's folder that no request may read, write or delete. */
const outside = path.join(dir, 'outside', 'secret.txt');
let server: EmbeddedS3;
let s3: S3Client;
let presigner: S3Client;

beforeAll(async () => {
  mkdirSync(path.dirname(outside), { recursive: true });
  writeFileSync(outside, 'the secret next door');
  server = await startEmbeddedS3({ dataDir });
  s3 = embeddedS3Client(server.env, { maxAttempts: 1 });
  presigner = embeddedS3Client(server.env, { requestChecksumCalculation: 'WHEN_REQUIRED' });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'runs/a/outputs/model.bin', Body: 'run a output' }));
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'runs/b/outputs/model.bin', Body: 'run b output' }));
});

afterAll(async () => {
  s3?.destroy();
  presigner?.destroy();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const outsideUntouched = () => readFileSync(outside, 'utf8') === 'the secret next door';

/** The path S3 signs for a path as sent: decoded, then encoded again the strict way (RFC 3986), slashes kept. */
const canonical = (sent: string) =>
  encodeURIComponent(decodeURIComponent(sent))
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%2F/g, '/');

type Middleware = (next: (args: { request: unknown }) => Promise<unknown>) => (args: { request: unknown }) => Promise<unknown>;
const settingPath =
  (path: string): Middleware =>
  (next) =>
  async (args) => {
    (args.request as { path: string }).path = path;
    return next(args);
  };

/**
 * `command` sent to the path `sent`, correctly signed by the SDK: it signs the path as S3 reads it, and the
 * path is swapped for the sent form after signing.
 */
function withPath<C>(command: C, sent: string): C {
  const stack = (
    command as unknown as {
      middlewareStack: { add(m: Middleware, o: object): void; addRelativeTo(m: Middleware, o: object): void };
    }
  ).middlewareStack;
  stack.add(settingPath(canonical(sent)), { step: 'build', name: 'signedPath' });
  stack.addRelativeTo(settingPath(sent), { relation: 'after', toMiddleware: 'awsAuthMiddleware', name: 'sentPath' });
  return command;
}

/** The HTTP status and S3 error code of a failed SDK call (or 'ok'). */
async function outcome(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return 'ok';
  } catch (err) {
    const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
    return `${e.$metadata?.httpStatusCode} ${e.name}`;
  }
}

/** Status and <Code> of a plain HTTP answer. */
async function answer(res: Response): Promise<string> {
  const text = await res.text();
  return `${res.status} ${/<Code>([^<]+)<\/Code>/.exec(text)?.[1] ?? text.slice(0, 40)}`;
}

describe('keys stay inside the folder', () => {
  const hostileKeys = [
    '../../outside/secret.txt',
    '..%2F..%2Foutside%2Fsecret.txt',
    '%2E%2E/%2e%2e/outside/secret.txt',
    '.%2E/.%2E/outside/secret.txt',
    'runs/./a/outputs/model.bin',
    'runs//a/outputs/model.bin',
    'runs/a/outputs/',
    '..%5C..%5Coutside%5Csecret.txt',
    'runs/a%00/outputs/model.bin',
    'runs/a/outputs/model.bin._S3rver_metadata.json',
  ];

  it('refuses a signed GET, PUT, DELETE and HEAD of each hostile key with 400, and the file next door is untouched', async () => {
    for (const key of hostileKeys) {
      const rawPath = `/${BUCKET}/${key}`;
      expect(await outcome(s3.send(withPath(new GetObjectCommand({ Bucket: BUCKET, Key: 'x' }), rawPath))), key).toMatch(/^400 /);
      expect(
        await outcome(s3.send(withPath(new PutObjectCommand({ Bucket: BUCKET, Key: 'x', Body: 'overwritten' }), rawPath))),
      ).toMatch(/^400 /);
      expect(await outcome(s3.send(withPath(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'x' }), rawPath)))).toMatch(/^400 /);
      expect(await outcome(s3.send(withPath(new HeadObjectCommand({ Bucket: BUCKET, Key: 'x' }), rawPath)))).toMatch(/^400 /);
    }
    expect(outsideUntouched()).toBe(true);
  });

  it('refuses listing or creating a bucket named with ../; a listing from a ../ prefix finds nothing', async () => {
    for (const bucket of ['..', '%2E%2E', '..%2Foutside', 'lab-data%2F..%2F..']) {
      expect(await outcome(s3.send(withPath(new ListObjectsV2Command({ Bucket: BUCKET }), `/${bucket}`))), bucket).toBe(
        '400 InvalidBucketName',
      );
      expect(await outcome(s3.send(withPath(new CreateBucketCommand({ Bucket: BUCKET }), `/${bucket}`)))).toBe(
        '400 InvalidBucketName',
      );
    }
    for (const Prefix of ['../', '../outside/', '../../']) {
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix, StartAfter: '../' }));
      expect(listed.Contents ?? [], Prefix).toEqual([]);
    }
  });

  it('refuses ../ in a DeleteObjects body, a copy source and an upload id; the file next door is untouched', async () => {
    const deleteMany = s3.send(
      new DeleteObjectsCommand({
        Bucket: BUCKET,
        Delete: { Objects: [{ Key: '../../outside/secret.txt' }, { Key: 'runs/a/x' }] },
      }),
    );
    expect(await outcome(deleteMany)).toMatch(/^400 /);
    for (const source of [
      `${BUCKET}/../../outside/secret.txt`,
      `${BUCKET}/..%2F..%2Foutside%2Fsecret.txt`,
      '..%2Foutside/secret.txt',
    ]) {
      const copy = s3.send(new CopyObjectCommand({ Bucket: BUCKET, Key: 'stolen.txt', CopySource: source }));
      expect(await outcome(copy), source).toMatch(/^400 /);
    }
    const part = s3.send(
      new UploadPartCommand({ Bucket: BUCKET, Key: 'k', UploadId: '../../../outside', PartNumber: 1, Body: 'x' }),
    );
    expect(await outcome(part)).toBe('400 InvalidArgument');
    expect(outsideUntouched()).toBe(true);
    expect(await outcome(s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'stolen.txt' })))).toBe('404 NotFound');
  });

  it('keeps its key pair in its folder (mode 0600) and never lists it as a bucket', async () => {
    expect(statSync(path.join(dataDir, CREDENTIALS_FILE)).mode & 0o777).toBe(0o600);
    const buckets = (await s3.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name);
    expect(buckets).toEqual([BUCKET]);
  });
});

describe('signatures', () => {
  const objectUrl = (key: string) => `${server.endpoint}/${BUCKET}/${key}`;

  it('refuses unsigned requests: GET, anonymous PUT (nothing overwritten), DELETE, list', async () => {
    expect(await answer(await fetch(objectUrl('runs/a/outputs/model.bin')))).toBe('403 AccessDenied');
    expect(await answer(await fetch(objectUrl('runs/a/outputs/model.bin'), { method: 'PUT', body: 'overwritten' }))).toBe(
      '403 AccessDenied',
    );
    expect(await answer(await fetch(objectUrl('runs/a/outputs/model.bin'), { method: 'DELETE' }))).toBe('403 AccessDenied');
    expect(await answer(await fetch(`${server.endpoint}/${BUCKET}?list-type=2`))).toBe('403 AccessDenied');
    const object = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'runs/a/outputs/model.bin' }));
    expect(await object.Body?.transformToString()).toBe('run a output');
  });

  it('refuses a presigned URL edited to another key, stripped of its query, expired, or signed with another secret', async () => {
    const url = await getSignedUrl(presigner, new GetObjectCommand({ Bucket: BUCKET, Key: 'runs/a/outputs/model.bin' }), {
      expiresIn: 600,
    });
    expect(await (await fetch(url)).text()).toBe('run a output');
    expect(await answer(await fetch(url.replace('/runs/a/', '/runs/b/')))).toBe('403 SignatureDoesNotMatch');
    expect(await answer(await fetch(url.split('?')[0] as string))).toBe('403 AccessDenied');
    const expired = await getSignedUrl(presigner, new GetObjectCommand({ Bucket: BUCKET, Key: 'runs/a/outputs/model.bin' }), {
      expiresIn: 60,
      signingDate: new Date(Date.now() - 120_000),
    });
    const refused = await fetch(expired);
    const body = await refused.text();
    expect([refused.status, /<Message>([^<]+)/.exec(body)?.[1]]).toEqual([403, 'Request has expired']);
    const guessed = { ...server.env, S3_SECRET_ACCESS_KEY: 'a guess at the secret' };
    const forger = embeddedS3Client(guessed, { requestChecksumCalculation: 'WHEN_REQUIRED' });
    const forged = await getSignedUrl(forger, new GetObjectCommand({ Bucket: BUCKET, Key: 'runs/b/outputs/model.bin' }));
    forger.destroy();
    expect(await answer(await fetch(forged))).toBe('403 SignatureDoesNotMatch');
  });

  it('refuses a presigned PUT turned into a copy by an added x-amz-copy-source header', async () => {
    const url = await getSignedUrl(presigner, new PutObjectCommand({ Bucket: BUCKET, Key: 'runs/a/outputs/upload.bin' }));
    const res = await fetch(url, {
      method: 'PUT',
      body: 'x',
      headers: { 'x-amz-copy-source': `${BUCKET}/runs/b/outputs/model.bin` },
    });
    expect(await answer(res)).toBe('403 AccessDenied');
  });

  it('refuses a header-signed PUT whose body was swapped after signing, and stores nothing', async () => {
    const put = new PutObjectCommand({ Bucket: BUCKET, Key: 'runs/a/outputs/swapped.txt', Body: 'what was signed' });
    const swapBody: Middleware = (next) => async (args) => {
      (args.request as { body: unknown }).body = 'what was sent!!';
      return next(args);
    };
    (put.middlewareStack as unknown as { addRelativeTo(m: Middleware, o: object): void }).addRelativeTo(swapBody, {
      relation: 'after',
      toMiddleware: 'awsAuthMiddleware',
      name: 'swapBody',
    });
    expect(await outcome(s3.send(put))).toBe('400 XAmzContentSHA256Mismatch');
    expect(await outcome(s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'runs/a/outputs/swapped.txt' })))).toBe(
      '404 NotFound',
    );
  });

  it('stores a body sent in signed chunks, and refuses (storing nothing) one whose chunk changed after signing', async () => {
    const bytes = Buffer.alloc(200_000, 'c');
    const good = await signedChunkedPut({
      endpoint: server.endpoint,
      path: `${BUCKET}/runs/a/outputs/chunked.bin`,
      body: bytes,
      credentials: server.credentials,
      sha256: s3.config.sha256,
    });
    expect(good.status).toBe(200);
    const stored = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'runs/a/outputs/chunked.bin' }));
    expect(Buffer.from((await stored.Body?.transformToByteArray()) ?? []).equals(bytes)).toBe(true);
    const bad = await signedChunkedPut({
      endpoint: server.endpoint,
      path: `${BUCKET}/runs/a/outputs/tampered.bin`,
      body: bytes,
      credentials: server.credentials,
      sha256: s3.config.sha256,
      tamper: (encoded) => encoded.fill('d', 70_000, 70_010),
    });
    expect([bad.status, bad.code]).toEqual([403, 'SignatureDoesNotMatch']);
    expect(await outcome(s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'runs/a/outputs/tampered.bin' })))).toBe(
      '404 NotFound',
    );
  });
});

describe('what clients do still works', () => {
  it('stores a stream the SDK sends aws-chunked (unsigned, CRC32 trailer) as its bytes, with no aws-chunked encoding', async () => {
    const key = 'runs/a/outputs/stream.txt';
    await s3.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: Readable.from([Buffer.from('streamed bytes')]), ContentLength: 14 }),
    );
    const stored = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(await stored.Body?.transformToString()).toBe('streamed bytes');
    expect(stored.ContentEncoding).toBeUndefined();
  });

  it('takes a presigned PUT with content type, length and metadata; a presigned GET names the file; list and delete', async () => {
    const key = 'runs/a/outputs/data (1).csv';
    const url = await getSignedUrl(
      presigner,
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: key,
        ContentLength: 8,
        ContentType: 'text/csv',
        Metadata: { 'lab-sha256': 'abc' },
      }),
      { expiresIn: 60 },
    );
    const longer = await fetch(url, { method: 'PUT', body: 'a,b\n1,2\n3', headers: { 'content-type': 'text/csv' } });
    expect(await answer(longer)).toBe('403 SignatureDoesNotMatch');
    const put = await fetch(url, { method: 'PUT', body: 'a,b\n1,2\n', headers: { 'content-type': 'text/csv' } });
    expect(put.status).toBe(200);
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    expect([head.ContentType, head.ContentLength, head.Metadata?.['lab-sha256']]).toEqual(['text/csv', 8, 'abc']);
    const download = await getSignedUrl(
      presigner,
      new GetObjectCommand({ Bucket: BUCKET, Key: key, ResponseContentDisposition: 'attachment; filename="data (1).csv"' }),
    );
    const got = await fetch(download);
    expect([await got.text(), got.headers.get('content-disposition')]).toEqual([
      'a,b\n1,2\n',
      'attachment; filename="data (1).csv"',
    ]);
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'runs/a/outputs/data' }));
    expect(listed.Contents?.map((o) => o.Key)).toEqual([key]);
    await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(await outcome(s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key })))).toBe('404 NotFound');
  });

  it('takes a multipart upload through presigned part URLs', async () => {
    const key = 'runs/a/outputs/big.bin';
    const part1 = Buffer.alloc(5 * 1024 * 1024, 1);
    const part2 = Buffer.from('the end');
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key }));
    const parts = [];
    for (const [i, body] of [part1, part2].entries()) {
      const url = await getSignedUrl(presigner, new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId, PartNumber: i + 1 }));
      const res = await fetch(url, { method: 'PUT', body });
      expect(res.status).toBe(200);
      parts.push({ PartNumber: i + 1, ETag: res.headers.get('etag') as string });
    }
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId, MultipartUpload: { Parts: parts } }));
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(head.ContentLength).toBe(part1.length + part2.length);
  });

  it("answers a CORS preflight without a signature, as S3 does (from the bucket's CORS rules, here none)", async () => {
    const preflight = await new Promise<string>((resolve, reject) => {
      http
        .request(`${server.endpoint}/${BUCKET}/runs/a/outputs/x`, {
          method: 'OPTIONS',
          headers: { origin: 'http://app.example', 'access-control-request-method': 'PUT' },
        })
        .on('response', (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve(`${res.statusCode} ${/<Code>([^<]+)/.exec(body)?.[1]}`));
        })
        .on('error', reject)
        .end();
    });
    expect(preflight).toBe('403 CORSResponse');
  });
});
