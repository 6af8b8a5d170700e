/**
 * The internal routes the registry calls, through real HTTP (callInternal)
 * against the artifacts service on the embedded S3 server (s3rver) in a fresh
 * temp dir. Each test works under its own owner ids, so tests never see each
 * other's files. Copies switch to parts above 5 MiB here (5 GiB by default).
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client, UploadPartCommand } from '@aws-sdk/client-s3';
import { type Caller, CONTEXT_HEADER, createLogger, loadConfig, signContext } from '@lab/shared';
import {
  ARTIFACTS_INTERNAL,
  type CopyFilesResult,
  callInternal,
  type DeleteFilesResult,
  type FileOwnerRef,
  type FileOwnerSummary,
  type InspectFilesResult,
  internalCallDocument,
  type ListFileOwnersResult,
} from '@lab/shared/internal';
import { type EmbeddedS3, startEmbeddedS3 } from '@lab/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prefixOf } from '../files/owners';
import { type RunningArtifacts, startArtifacts } from '../service';
import { META_SHA256, META_UPLOADED_BY } from '../store/handle';
import { createS3 } from '../store/s3Client';
import { PENDING_PREFIX } from '../store/uploadsStore';

const dataDir = mkdtempSync(path.join(tmpdir(), 'artifacts-internal-'));
const secret = 'i'.repeat(32);
const MIB = 1024 * 1024;
const log = createLogger('artifacts-internal-test', { logLevel: 'silent', logFormat: 'json' });
const registry: Caller = { id: 'registry', kind: 'service', scopes: [] };
let server: EmbeddedS3;
let running: RunningArtifacts;
let s3: S3Client;
let bucket: string;

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

function call<T>(route: string, body: unknown, caller: Caller = registry): Promise<T> {
  return callInternal<T>(running.url, route, body, { internalSecret: secret, caller, requestId: randomUUID() });
}

const run = (experimentId: string = randomUUID()): FileOwnerRef => ({ kind: 'RUN', id: randomUUID(), parentId: experimentId });
const modelVersion = (): FileOwnerRef => ({ kind: 'MODEL_VERSION', id: randomUUID(), parentId: randomUUID() });
const datasetVersion = (): FileOwnerRef => ({ kind: 'DATASET_VERSION', id: randomUUID(), parentId: randomUUID() });

interface PutOptions {
  contentType?: string;
  sha256?: string;
  uploadedBy?: string;
}

async function put(key: string, body: Buffer | string, options: PutOptions = {}): Promise<void> {
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: body,
      ContentType: options.contentType ?? 'application/octet-stream',
      Metadata: {
        ...(options.uploadedBy ? { [META_UPLOADED_BY]: options.uploadedBy } : {}),
        ...(options.sha256 ? { [META_SHA256]: options.sha256 } : {}),
      },
    }),
  );
}

async function read(key: string) {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return {
    bytes: Buffer.from(await (out.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray()),
    contentType: out.ContentType,
    metadata: out.Metadata,
  };
}

async function keysUnder(prefix: string): Promise<string[]> {
  return (await running.store.files.list(prefix, 10_000)).entries.map((e) => e.key);
}

/** A POST to the route with the given headers and raw body (for calls callInternal would sign correctly). */
async function post(route: string, body: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${running.url}${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  return { status: res.status, body: (await res.json()) as { code?: string; message?: string } };
}

beforeAll(async () => {
  server = await startEmbeddedS3({ dataDir });
  const config = loadConfig({ ...server.env, LAB_INTERNAL_SECRET: secret, ARTIFACTS_PORT: '0' });
  running = await startArtifacts(config, log, { copyLimits: { singleCopyMaxBytes: 5 * MIB, partBytes: 5 * MIB } });
  s3 = createS3(config);
  bucket = config.s3.bucket;
});

afterAll(async () => {
  s3?.destroy();
  await running?.stop();
  await server?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('who may call', () => {
  const body = JSON.stringify({ owner: run() });

  it('refuses an unsigned call with 401', async () => {
    expect(await post(ARTIFACTS_INTERNAL.inspect, body)).toMatchObject({ status: 401, body: { code: 'UNAUTHENTICATED' } });
  });

  it('refuses another service, and a user named like the registry, with 401', async () => {
    for (const caller of [
      { id: 'metrics', kind: 'service', scopes: ['*'] },
      { id: 'registry', kind: 'user', scopes: ['*'] },
    ] as Caller[]) {
      await expect(call(ARTIFACTS_INTERNAL.inspect, JSON.parse(body), caller)).rejects.toMatchObject({
        status: 401,
        code: 'UNAUTHENTICATED',
        message: expect.stringMatching(/accepts only requests signed by the registry/),
      });
    }
  });

  it('refuses a body other than the one signed, and a signature for another route, with 401', async () => {
    const signed = (route: string, text: string) => ({
      [CONTEXT_HEADER]: signContext(secret, {
        requestId: randomUUID(),
        caller: registry,
        query: internalCallDocument(route, text),
      }),
    });
    const other = JSON.stringify({ scope: run() });
    const tampered = await post(ARTIFACTS_INTERNAL.delete, other, signed(ARTIFACTS_INTERNAL.delete, body));
    expect(tampered).toMatchObject({ status: 401, body: { code: 'UNAUTHENTICATED' } });
    const elsewhere = await post(ARTIFACTS_INTERNAL.delete, other, signed(ARTIFACTS_INTERNAL.inspect, other));
    expect(elsewhere).toMatchObject({ status: 401, body: { code: 'UNAUTHENTICATED' } });
    // The same header and body on their own route pass.
    expect(await post(ARTIFACTS_INTERNAL.delete, other, signed(ARTIFACTS_INTERNAL.delete, other))).toMatchObject({
      status: 200,
      body: { deleted: 0, abortedUploads: 0 },
    });
  });
});

describe('bodies', () => {
  const owner = run();
  const cases: [string, string, unknown, RegExp][] = [
    ['inspect', ARTIFACTS_INTERNAL.inspect, { owner: { ...owner, id: 'run-1' } }, /owner\.id must be a UUID/],
    ['inspect', ARTIFACTS_INTERNAL.inspect, { owner: { ...owner, kind: 'PROJECT' } }, /owner\.kind must be one of RUN/],
    ['inspect', ARTIFACTS_INTERNAL.inspect, { owner, checksum: true }, /unknown field "checksum"/],
    ['inspect', ARTIFACTS_INTERNAL.inspect, { owner, checksums: 'yes' }, /checksums must be true or false/],
    ['inspect', ARTIFACTS_INTERNAL.inspect, { owner: { kind: 'RUN', id: owner.id } }, /owner\.parentId must be a UUID/],
    ['delete', ARTIFACTS_INTERNAL.delete, {}, /scope must be an object/],
    ['delete', ARTIFACTS_INTERNAL.delete, { scope: { kind: 'PROJECT', id: owner.id } }, /scope\.kind must be EXPERIMENT or/],
    ['delete', ARTIFACTS_INTERNAL.delete, { scope: { kind: 'EXPERIMENT', id: '*' } }, /scope\.id must be a UUID/],
    ['copy', ARTIFACTS_INTERNAL.copy, { from: owner, to: owner }, /to is the same owner as from/],
    ['copy', ARTIFACTS_INTERNAL.copy, { from: owner, to: run(), names: ['../secrets.txt'] }, /names\[0\] is refused/],
    ['copy', ARTIFACTS_INTERNAL.copy, { from: owner, to: run(), names: [] }, /names must be a list of 1 to 1000/],
    ['owners', ARTIFACTS_INTERNAL.owners, { limit: 0 }, /limit must be a whole number from 1 to 10000/],
    ['owners', ARTIFACTS_INTERNAL.owners, { limit: 10_001 }, /limit must be a whole number/],
    ['owners', ARTIFACTS_INTERNAL.owners, { after: 42 }, /after must be the `next` of the previous page/],
  ];

  it.each(cases)('%s answers 400 BAD_USER_INPUT with the reason: %j', async (_name, route, body, reason) => {
    await expect(call(route, body)).rejects.toMatchObject({
      status: 400,
      code: 'BAD_USER_INPUT',
      transient: false,
      message: expect.stringMatching(reason),
    });
  });
});

describe('inspect', () => {
  it('lists every file under the owner with its size, time and recorded checksum; computes the others when asked', async () => {
    const owner = run();
    const prefix = prefixOf(owner);
    const declared = Buffer.from('{"loss": 0.5}\n');
    const plain = randomBytes(70_000);
    await put(`${prefix}eval/metrics.json`, declared, { contentType: 'application/json', sha256: sha256(declared) });
    await put(`${prefix}model.bin`, plain);
    await put(`${prefixOf(run(owner.parentId))}other-run.txt`, 'not this run');

    const listed = await call<InspectFilesResult>(ARTIFACTS_INTERNAL.inspect, { owner });
    expect(listed).toMatchObject({ count: 2, totalBytes: declared.length + plain.length });
    expect(listed.files).toEqual([
      {
        name: 'eval/metrics.json',
        key: `${prefix}eval/metrics.json`,
        sizeBytes: declared.length,
        checksum: `sha256:${sha256(declared)}`,
        lastModifiedMs: expect.any(Number),
      },
      {
        name: 'model.bin',
        key: `${prefix}model.bin`,
        sizeBytes: plain.length,
        checksum: null,
        lastModifiedMs: expect.any(Number),
      },
    ]);
    expect(Math.abs((listed.files[0]?.lastModifiedMs ?? 0) - Date.now())).toBeLessThan(60_000);

    const checked = await call<InspectFilesResult>(ARTIFACTS_INTERNAL.inspect, { owner, checksums: true });
    expect(checked.files.map((f) => f.checksum)).toEqual([`sha256:${sha256(declared)}`, `sha256:${sha256(plain)}`]);
  });

  it('answers an owner without files with an empty list', async () => {
    expect(await call(ARTIFACTS_INTERNAL.inspect, { owner: datasetVersion() })).toEqual({ files: [], count: 0, totalBytes: 0 });
  });
});

describe('delete', () => {
  it('removes every object under the owner and aborts its open multipart upload; a second call deletes nothing', async () => {
    const owner = run();
    const kept = run(owner.parentId);
    const prefix = prefixOf(owner);
    const names = ['a.txt', 'dir/b.txt', 'dir/sub/c.bin', 'with space (1).csv'];
    await Promise.all(names.map((n) => put(`${prefix}${n}`, `bytes of ${n}`)));
    await put(`${prefixOf(kept)}keep.txt`, 'another run of the same experiment');
    const big = {
      key: `${prefix}checkpoint.safetensors`,
      size: 12 * MIB,
      contentType: 'application/octet-stream',
      uploadedBy: 'u1',
    };
    const uploadId = await running.store.uploads.startMultipart(big);
    await s3.send(
      new UploadPartCommand({ Bucket: bucket, Key: big.key, UploadId: uploadId, PartNumber: 1, Body: randomBytes(5 * MIB) }),
    );
    expect(await running.store.uploads.isOpen(uploadId)).toBe(true);

    const first = await call<DeleteFilesResult>(ARTIFACTS_INTERNAL.delete, { scope: owner });
    expect(first).toEqual({ deleted: names.length, abortedUploads: 1 });
    expect(await keysUnder(prefix)).toEqual([]);
    expect(await running.store.uploads.isOpen(uploadId)).toBe(false);
    expect(await keysUnder(prefixOf(kept))).toEqual([`${prefixOf(kept)}keep.txt`]);

    expect(await call<DeleteFilesResult>(ARTIFACTS_INTERNAL.delete, { scope: owner })).toEqual({ deleted: 0, abortedUploads: 0 });
  });

  it('removes an experiment whole (every run) in batches of 1,000, and nothing of other experiments', async () => {
    const experimentId = randomUUID();
    const [first, second] = [run(experimentId), run(experimentId)] as [FileOwnerRef, FileOwnerRef];
    const elsewhere = run();
    const keys = Array.from({ length: 1003 }, (_, i) => `${prefixOf(first)}shard-${String(i).padStart(4, '0')}.bin`);
    keys.push(`${prefixOf(second)}model.bin`, `experiments/${experimentId}/notes.txt`);
    for (let i = 0; i < keys.length; i += 50) await Promise.all(keys.slice(i, i + 50).map((k) => put(k, 'x')));
    await put(`${prefixOf(elsewhere)}model.bin`, 'another experiment');

    const scope = { kind: 'EXPERIMENT', id: experimentId.toUpperCase() };
    expect(await call<DeleteFilesResult>(ARTIFACTS_INTERNAL.delete, { scope })).toEqual({
      deleted: keys.length,
      abortedUploads: 0,
    });
    expect(await keysUnder(`experiments/${experimentId}/`)).toEqual([]);
    expect(await keysUnder(prefixOf(elsewhere))).toHaveLength(1);
    expect(await call<DeleteFilesResult>(ARTIFACTS_INTERNAL.delete, { scope })).toEqual({ deleted: 0, abortedUploads: 0 });
  });
});

describe('copy', () => {
  async function seedRun() {
    const from = run();
    const prefix = prefixOf(from);
    const files = {
      'model.safetensors': { bytes: randomBytes(6 * MIB + 123), contentType: 'application/octet-stream' },
      'eval/summary.json': { bytes: Buffer.from('{"acc": 0.9}'), contentType: 'application/json' },
      'eval/plots/roc (v2)+final=ok@1,2.png': { bytes: randomBytes(2048), contentType: 'image/png' },
      'README.md': { bytes: Buffer.from('# model\n'), contentType: 'text/markdown; charset=utf-8' },
    };
    for (const [name, f] of Object.entries(files)) {
      await put(`${prefix}${name}`, f.bytes, { contentType: f.contentType, sha256: sha256(f.bytes), uploadedBy: 'user-7' });
    }
    return { from, files };
  }

  it('copies every file under the same names with the same bytes, content type and checksum; again ends the same', async () => {
    const { from, files } = await seedRun();
    const to = modelVersion();
    const toPrefix = prefixOf(to);
    const names = Object.keys(files).sort();
    const totalBytes = Object.values(files).reduce((sum, f) => sum + f.bytes.length, 0);

    const first = await call<CopyFilesResult>(ARTIFACTS_INTERNAL.copy, { from, to });
    expect(first).toMatchObject({ count: names.length, totalBytes });
    expect(first.files.map((f) => f.name)).toEqual(names);
    const copied = async () =>
      Promise.all(
        names.map(async (name) => {
          const object = await read(`${toPrefix}${name}`);
          const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: `${toPrefix}${name}` }));
          return { name, ...object, lastModified: head.LastModified?.getTime() };
        }),
      );
    const once = await copied();
    for (const c of once) {
      const f = files[c.name as keyof typeof files];
      expect(c.bytes.equals(f.bytes), c.name).toBe(true);
      expect(c.contentType).toBe(f.contentType);
      expect(c.metadata).toEqual({ [META_SHA256]: sha256(f.bytes), [META_UPLOADED_BY]: 'user-7' });
    }

    const again = await call<CopyFilesResult>(ARTIFACTS_INTERNAL.copy, { from, to });
    expect(again).toEqual(first);
    const twice = await copied();
    expect(twice.map((c) => ({ ...c, bytes: sha256(c.bytes) }))).toEqual(once.map((c) => ({ ...c, bytes: sha256(c.bytes) })));
    expect(await keysUnder(toPrefix)).toHaveLength(names.length);
    // The file above the part-copy limit went through a multipart upload s3rver cannot fill by copy: it was aborted, and no marker is left.
    expect(await keysUnder(PENDING_PREFIX)).toEqual([]);

    const inspected = await call<InspectFilesResult>(ARTIFACTS_INTERNAL.inspect, { owner: to });
    expect(inspected.files.map((f) => [f.name, f.checksum])).toEqual(
      names.map((n) => [n, `sha256:${sha256(files[n as keyof typeof files].bytes)}`]),
    );
  });

  it('copies only the names asked: exact names and prefixes ending in "/"', async () => {
    const { from } = await seedRun();
    const to = datasetVersion();
    const result = await call<CopyFilesResult>(ARTIFACTS_INTERNAL.copy, { from, to, names: ['README.md', 'eval/'] });
    expect(result.files.map((f) => f.name)).toEqual(['README.md', 'eval/plots/roc (v2)+final=ok@1,2.png', 'eval/summary.json']);
    expect(await keysUnder(prefixOf(to))).toEqual(result.files.map((f) => `${prefixOf(to)}${f.name}`));
  });

  it('refuses a copy of nothing, or of a name the owner does not have, with 400', async () => {
    const empty = run();
    await expect(call(ARTIFACTS_INTERNAL.copy, { from: empty, to: modelVersion() })).rejects.toMatchObject({
      status: 400,
      code: 'BAD_USER_INPUT',
      message: expect.stringMatching(`the run ${empty.id} has no outputs to copy`),
    });
    const { from } = await seedRun();
    const to = modelVersion();
    await expect(call(ARTIFACTS_INTERNAL.copy, { from, to, names: ['README.md', 'weights/'] })).rejects.toMatchObject({
      status: 400,
      message: expect.stringMatching(/has no file "weights\/"/),
    });
    expect(await keysUnder(prefixOf(to))).toEqual([]);
  });
});

describe('owners', () => {
  it('pages through the bucket; merged by owner, the pages give each owner its count, bytes and newest time', async () => {
    const owners = [run(), run(), datasetVersion(), modelVersion()];
    const expected = new Map<string, { count: number; totalBytes: number }>();
    for (const [i, owner] of owners.entries()) {
      const sizes = Array.from({ length: i + 2 }, (_, j) => 10 * (i + 1) + j);
      for (const [j, size] of sizes.entries()) await put(`${prefixOf(owner)}f${j}.bin`, randomBytes(size));
      expected.set(owner.id, { count: sizes.length, totalBytes: sizes.reduce((a, b) => a + b, 0) });
    }
    const strays = [`stray/${randomUUID()}.txt`, `experiments/not-a-uuid/${randomUUID()}.txt`];
    for (const key of strays) await put(key, 'stray');
    await put(`backups/postgresql/2026-01-01/${randomUUID()}.ndjson.gz`, 'backup');
    const upload = { key: `${prefixOf(run())}x.bin`, size: 1, contentType: 'application/octet-stream', uploadedBy: 'u1' };
    const pending = await running.store.uploads.startMultipart(upload);

    const merged = new Map<string, FileOwnerSummary>();
    const unknown: string[] = [];
    let after: string | undefined;
    let pages = 0;
    do {
      const page: ListFileOwnersResult = await call(ARTIFACTS_INTERNAL.owners, { limit: 3, ...(after ? { after } : {}) });
      pages++;
      for (const o of page.owners) {
        const seen = merged.get(o.id);
        merged.set(
          o.id,
          seen
            ? {
                ...seen,
                count: seen.count + o.count,
                totalBytes: seen.totalBytes + o.totalBytes,
                newestModifiedMs: Math.max(seen.newestModifiedMs, o.newestModifiedMs),
              }
            : o,
        );
      }
      unknown.push(...page.unknownKeys);
      after = page.next ?? undefined;
    } while (after);
    expect(pages).toBeGreaterThan(5);

    for (const owner of owners) {
      expect(merged.get(owner.id)).toEqual({
        kind: owner.kind,
        id: owner.id,
        parentId: owner.parentId,
        ...expected.get(owner.id),
        newestModifiedMs: expect.any(Number),
      });
    }
    expect(unknown).toEqual(expect.arrayContaining(strays));
    expect(unknown.filter((k) => k.startsWith('backups/') || k.startsWith(PENDING_PREFIX))).toEqual([]);
    await running.store.uploads.abortMultipart(upload.key, pending);
  });

  it('answers a token that is not one with 400', async () => {
    await expect(call(ARTIFACTS_INTERNAL.owners, { after: 'not-a-token' })).rejects.toMatchObject({
      status: 400,
      code: 'BAD_USER_INPUT',
      message: expect.stringMatching(/after is not a continuation token/),
    });
  });
});
