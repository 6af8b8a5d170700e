/** ensureBucket against the embedded S3 server the platform runs (s3rver), in a fresh temp dir. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { loadConfig } from '@lab/shared';
import { type EmbeddedS3, startEmbeddedS3 } from '@lab/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bucketExists, ensureBucket } from './bucket';
import { createS3 } from './s3Client';
import { recordingLogger } from './testLog';

const dataDir = mkdtempSync(path.join(tmpdir(), 'artifacts-bucket-'));
let server: EmbeddedS3;
let s3: S3Client;

beforeAll(async () => {
  server = await startEmbeddedS3({ dataDir });
  s3 = createS3(loadConfig(server.env));
});

afterAll(async () => {
  s3?.destroy();
  await server?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('ensureBucket on s3rver', () => {
  it('creates a missing bucket and reports no versioning and no lifecycle, without throwing', async () => {
    const { log, entries } = recordingLogger();
    expect(await bucketExists(s3, 'lab-first')).toBe(false);
    const capabilities = await ensureBucket(s3, 'lab-first', log);
    expect(await bucketExists(s3, 'lab-first')).toBe(true);
    expect(capabilities).toEqual({ versioning: false, lifecycle: false, lifecycleTransitions: false });
    const warned = entries.filter((e) => e.level === 'warn').map((e) => e.fields.feature);
    expect(warned).toEqual(['versioning', 'lifecycle']);
    const versioning = entries.find((e) => e.fields.feature === 'versioning');
    expect(versioning?.message).toMatch(/lacks bucket versioning/);
    // s3rver takes PutBucketVersioning for CreateBucket on an existing bucket.
    expect(versioning?.fields.answer).toMatch(/BucketAlreadyExists/);
    const lifecycle = entries.find((e) => e.fields.feature === 'lifecycle');
    expect(lifecycle?.message).toMatch(/lacks bucket lifecycle/);
    expect(lifecycle?.fields.answer).toMatch(/NotImplemented/);
  });

  it('is idempotent: a second run keeps the bucket and its objects', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'lab-first', Key: 'datasets/d1/v1/data.csv', Body: 'a,b\n1,2\n' }));
    const { log } = recordingLogger();
    expect(await ensureBucket(s3, 'lab-first', log)).toEqual({
      versioning: false,
      lifecycle: false,
      lifecycleTransitions: false,
    });
    const object = await s3.send(new GetObjectCommand({ Bucket: 'lab-first', Key: 'datasets/d1/v1/data.csv' }));
    expect(await object.Body?.transformToString()).toBe('a,b\n1,2\n');
  });

  it('tolerates two processes creating the bucket at once', async () => {
    // s3rver's own CreateBucket is not atomic: both may "create" it. The
    // BucketAlreadyExists / BucketAlreadyOwnedByYou answers of real servers are
    // covered by bucket.test.ts.
    const { log } = recordingLogger();
    const results = await Promise.all([ensureBucket(s3, 'lab-race', log), ensureBucket(s3, 'lab-race', log)]);
    expect(results).toHaveLength(2);
    expect(await bucketExists(s3, 'lab-race')).toBe(true);
  });

  it('fails with a clear message when the server cannot be reached', async () => {
    const nowhere = new S3Client({
      endpoint: 'http://127.0.0.1:9',
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'nobody', secretAccessKey: 'nothing' },
      maxAttempts: 1,
    });
    const { log } = recordingLogger();
    await expect(ensureBucket(nowhere, 'lab-first', log)).rejects.toThrow(/cannot reach S3 bucket "lab-first"/);
    nowhere.destroy();
  });
});
