/** ListObjectsV2 pages on the embedded S3 server: s3rver's own tokens fail on Node 17+, ours page through. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embeddedS3Client } from '../testing/embeddedS3Client';
import { type EmbeddedS3, startEmbeddedS3 } from './s3';

const dataDir = mkdtempSync(path.join(tmpdir(), 'stack-s3-'));
const Bucket = 'lab-pages';
const keys = ['a/1', 'a/2', 'b/1', 'c/x/y', 'd', 'é/ü (1)+=@,.txt'];
let server: EmbeddedS3;
let s3: S3Client;

beforeAll(async () => {
  server = await startEmbeddedS3({ dataDir });
  s3 = embeddedS3Client(server.env, { maxAttempts: 1 });
  await s3.send(new CreateBucketCommand({ Bucket }));
  for (const Key of keys) await s3.send(new PutObjectCommand({ Bucket, Key, Body: Key }));
});

afterAll(async () => {
  s3?.destroy();
  await server?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function pages(input: { Prefix?: string; MaxKeys: number }): Promise<string[][]> {
  const out: string[][] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket, ...input, ...(token ? { ContinuationToken: token } : {}) }));
    out.push((page.Contents ?? []).map((c) => c.Key as string));
    expect(page.KeyCount).toBe(out.at(-1)?.length);
    if (token) expect(page.ContinuationToken).toBe(token);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return out;
}

describe('ListObjectsV2 continuation on s3rver', () => {
  it('pages through every key in order', async () => {
    expect(await pages({ MaxKeys: 2 })).toEqual([
      ['a/1', 'a/2'],
      ['b/1', 'c/x/y'],
      ['d', 'é/ü (1)+=@,.txt'],
    ]);
  });

  it('keeps to the prefix across pages', async () => {
    expect(await pages({ Prefix: 'a/', MaxKeys: 1 })).toEqual([['a/1'], ['a/2']]);
  });

  it('refuses a token it did not issue with InvalidArgument', async () => {
    await expect(s3.send(new ListObjectsV2Command({ Bucket, ContinuationToken: 'not-a-token' }))).rejects.toMatchObject({
      name: 'InvalidArgument',
      $metadata: { httpStatusCode: 400 },
    });
  });
});
