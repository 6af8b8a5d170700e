/**
 * The artifacts store against a real S3 (Ceph RGW from Debian, started by
 * scripts/ceph-rgw.sh): what the embedded server cannot show. Versioning on
 * and version ids returned, the lifecycle rules read back, signatures checked
 * (the same refusals the embedded server's front answers), copies by
 * CopyObject and by UploadPartCopy, deletion of every version, multipart
 * uploads listed and aborted. Skipped when radosgw is not installed, except in
 * CI (CI=true), where that fails.
 */
import { createHash } from 'node:crypto';
import {
  CreateMultipartUploadCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectVersionsCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { loadConfig } from '@lab/shared';
import { rgwRequirement, signedChunkedPut, startTestRgw, type TestRgw } from '@lab/stack/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ArtifactsStore, openArtifactsStore } from './artifactsStore';
import { createS3 } from './s3Client';
import { recordingLogger } from './testLog';

const BUCKET = 'lab-rgw';
const MIB = 1024 * 1024;
const requirement = rgwRequirement();
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe.skipIf(requirement !== 'run')(
  `artifacts on Ceph RGW${requirement === 'run' ? '' : ` (skipped: ${requirement})`}`,
  () => {
    let rgw: TestRgw;
    let store: ArtifactsStore;
    let s3: S3Client;
    let presigner: S3Client;
    const { log, entries } = recordingLogger();

    beforeAll(async () => {
      rgw = await startTestRgw();
      const config = loadConfig({
        S3_ENDPOINT: rgw.endpoint,
        S3_ACCESS_KEY_ID: rgw.credentials.accessKeyId,
        S3_SECRET_ACCESS_KEY: rgw.credentials.secretAccessKey,
        S3_BUCKET: BUCKET,
      });
      // Copies above 5 MiB go in 5 MiB parts (UploadPartCopy), so a 12 MiB file shows it.
      store = await openArtifactsStore(config, log, { singleCopyMaxBytes: 5 * MIB, partBytes: 5 * MIB });
      s3 = createS3(config, { maxAttempts: 1 });
      presigner = createS3(config, { requestChecksumCalculation: 'WHEN_REQUIRED' });
    }, 180_000);

    afterAll(async () => {
      store?.close();
      s3?.destroy();
      presigner?.destroy();
      await rgw?.stop();
    });

    const put = async (key: string, body: Buffer | string, contentType = 'application/octet-stream') => {
      const bytes = Buffer.from(body);
      const url = await store.uploads.putUrl(
        { key, size: bytes.length, contentType, sha256: sha256(bytes), uploadedBy: 'u1' },
        300,
      );
      const res = await fetch(url, { method: 'PUT', body: bytes, headers: { 'content-type': contentType } });
      expect(res.status).toBe(200);
    };
    const read = async (key: string, versionId?: string) => {
      const out = await s3.send(
        new GetObjectCommand({ Bucket: BUCKET, Key: key, ...(versionId ? { VersionId: versionId } : {}) }),
      );
      return Buffer.from((await out.Body?.transformToByteArray()) ?? []);
    };

    it('turns versioning on and keeps the lifecycle rules, as read back from the server', async () => {
      expect(store.capabilities).toEqual({ versioning: true, lifecycle: true, lifecycleTransitions: true });
      expect((await s3.send(new GetBucketVersioningCommand({ Bucket: BUCKET }))).Status).toBe('Enabled');
      const rules = (await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: BUCKET }))).Rules ?? [];
      const byId = Object.fromEntries(rules.map((r) => [r.ID, r]));
      expect(byId['lab-expire-after-7-years']).toMatchObject({
        Status: 'Enabled',
        Expiration: { Days: 2555 },
        NoncurrentVersionExpiration: { NoncurrentDays: 2555 },
      });
      expect(byId['lab-abort-incomplete-multipart']).toMatchObject({
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
      });
      expect([...(byId['lab-tiering']?.Transitions ?? [])].sort((a, b) => (a.Days ?? 0) - (b.Days ?? 0))).toEqual([
        { Days: 90, StorageClass: 'STANDARD_IA' },
        { Days: 365, StorageClass: 'GLACIER' },
      ]);
      expect(entries.filter((e) => e.level === 'warn')).toEqual([]);
    });

    it('answers a version id per upload; an overwritten file keeps its old version readable', async () => {
      const key = 'experiments/e1/runs/r1/outputs/metrics.json';
      await put(key, '{"loss":1}', 'application/json');
      const first = await store.files.head(key);
      await put(key, '{"loss":0.5}', 'application/json');
      const second = await store.files.head(key);
      expect(first?.versionId).toBeTruthy();
      expect(second?.versionId).toBeTruthy();
      expect(second?.versionId).not.toBe(first?.versionId);
      expect(second?.sha256).toBe(sha256(Buffer.from('{"loss":0.5}')));
      expect((await read(key, first?.versionId)).toString()).toBe('{"loss":1}');
      const listed = await store.files.list('experiments/e1/runs/r1/outputs/', 10);
      expect(listed.entries.map((e) => [e.key, e.versionId])).toEqual([[key, second?.versionId]]);
    });

    it('refuses what the embedded server refuses: unsigned, tampered, stripped, expired and forged requests', async () => {
      const key = 'experiments/e1/runs/r1/outputs/metrics.json';
      const url = await store.files.downloadUrl(key, 'metrics.json', 300);
      expect((await fetch(url)).status).toBe(200);
      const code = async (res: Response) => `${res.status} ${/<Code>([^<]+)/.exec(await res.text())?.[1]}`;
      expect(await code(await fetch(url.replace('/runs/r1/', '/runs/r2/')))).toBe('403 SignatureDoesNotMatch');
      expect(await code(await fetch(url.split('?')[0] as string))).toBe('403 AccessDenied');
      expect(await code(await fetch(`${rgw.endpoint}/${BUCKET}/${key}`, { method: 'PUT', body: 'overwritten' }))).toBe(
        '403 AccessDenied',
      );
      const expired = await getSignedUrl(presigner, new GetObjectCommand({ Bucket: BUCKET, Key: key }), {
        expiresIn: 60,
        signingDate: new Date(Date.now() - 120_000),
      });
      expect((await fetch(expired)).status).toBe(403);
      const forger = createS3(
        loadConfig({ S3_ENDPOINT: rgw.endpoint, S3_ACCESS_KEY_ID: rgw.credentials.accessKeyId, S3_SECRET_ACCESS_KEY: 'a guess' }),
        { requestChecksumCalculation: 'WHEN_REQUIRED' },
      );
      const forged = await getSignedUrl(forger, new GetObjectCommand({ Bucket: BUCKET, Key: key }));
      forger.destroy();
      expect(await code(await fetch(forged))).toBe('403 SignatureDoesNotMatch');
    });

    it('takes a body in signed chunks and refuses one changed after signing (the embedded server does the same)', async () => {
      const body = Buffer.alloc(150_000, 'r');
      const send = (key: string, tamper?: (encoded: Buffer) => void) =>
        signedChunkedPut({
          endpoint: rgw.endpoint,
          path: `${BUCKET}/${key}`,
          body,
          credentials: rgw.credentials,
          sha256: s3.config.sha256,
          tamper,
        });
      expect((await send('experiments/e1/runs/r1/outputs/chunked.bin')).status).toBe(200);
      expect((await read('experiments/e1/runs/r1/outputs/chunked.bin')).equals(body)).toBe(true);
      const refused = await send('experiments/e1/runs/r1/outputs/tampered.bin', (encoded) => encoded.fill('s', 70_000, 70_010));
      expect(refused).toEqual({ status: 403, code: 'SignatureDoesNotMatch' });
      expect(await store.files.head('experiments/e1/runs/r1/outputs/tampered.bin')).toBeUndefined();
    });

    it('copies a small file with CopyObject and a large one with UploadPartCopy, bytes, type and checksum kept', async () => {
      const small = Buffer.from('a,b\n1,2\n');
      const large = Buffer.alloc(12 * MIB);
      for (let i = 0; i < large.length; i += 4096) large.writeUInt32BE(i, i);
      await put('experiments/e1/runs/r1/outputs/small.csv', small, 'text/csv');
      await put('experiments/e1/runs/r1/outputs/large.bin', large);
      for (const name of ['small.csv', 'large.bin']) {
        const source = await store.files.head(`experiments/e1/runs/r1/outputs/${name}`);
        if (!source) throw new Error(`${name} is missing`);
        await store.copies.copy(source, `models/m1/artifacts/v1/${name}`);
      }
      const smallCopy = await store.files.head('models/m1/artifacts/v1/small.csv');
      const largeCopy = await store.files.head('models/m1/artifacts/v1/large.bin');
      expect([smallCopy?.contentType, smallCopy?.sha256, largeCopy?.sha256, largeCopy?.size]).toEqual([
        'text/csv',
        sha256(small),
        sha256(large),
        large.length,
      ]);
      // A multipart object's ETag ends in -<parts>: 12 MiB in 5 MiB parts is three.
      expect(largeCopy?.etag).toMatch(/-3$/);
      expect(smallCopy?.etag).not.toMatch(/-/);
      expect(sha256(await read('models/m1/artifacts/v1/large.bin'))).toBe(sha256(large));
    });

    it('deletes every version and delete marker under a prefix, and nothing else', async () => {
      const prefix = 'experiments/e1/runs/r1/';
      const versions = async (p: string) => {
        const out = await s3.send(new ListObjectVersionsCommand({ Bucket: BUCKET, Prefix: p }));
        return (out.Versions?.length ?? 0) + (out.DeleteMarkers?.length ?? 0);
      };
      expect(await versions(prefix)).toBeGreaterThan(4);
      await store.files.delete('experiments/e1/runs/r1/outputs/small.csv');
      const deleted = await store.purge.deleteUnder(prefix);
      expect(deleted).toBeGreaterThan(4);
      expect(await versions(prefix)).toBe(0);
      expect(await versions('models/m1/')).toBe(2);
      expect(await store.purge.deleteUnder(prefix)).toBe(0);
    });

    it('aborts the multipart uploads under a prefix, those it started and those only the server lists', async () => {
      const uploadId = await store.uploads.startMultipart({
        key: 'datasets/d1/v1/data.parquet',
        size: 20 * MIB,
        contentType: 'application/x-parquet',
        uploadedBy: 'u1',
      });
      const stray = await s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'datasets/d1/v1/stray.bin' }));
      expect([uploadId, stray.UploadId].every(Boolean)).toBe(true);
      expect(await store.uploads.abortUnder('datasets/d1/')).toBe(2);
      const open = await s3.send(new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: 'datasets/d1/' }));
      expect(open.Uploads ?? []).toEqual([]);
    });
  },
);
