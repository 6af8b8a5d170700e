/**
 * Uploads and downloads end to end in one process, against the real embedded
 * S3 server (s3rver) and a real registry subgraph (embedded PostgreSQL)
 * answering ownership checks (reached through a forwarder that counts them). Bytes go straight to S3 through the issued URLs.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startRegistry } from '@lab/registry';
import { PrismaClient } from '@lab/registry/prisma';
import { type Caller, CONTEXT_HEADER, createLogger, loadConfig, signContext } from '@lab/shared';
import { HOSTILE_NAMES } from '@lab/shared/hostileFileNames';
import { type EmbeddedPostgres, type EmbeddedS3, startEmbeddedPostgres, startEmbeddedS3 } from '@lab/stack';
import { type CountingProxy, startCountingProxy } from '@lab/stack/testing';
import { PrismaPg } from '@prisma/adapter-pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningArtifacts, startArtifacts } from './service';

const dir = mkdtempSync(path.join(tmpdir(), 'artifacts-int-'));
const secret = 'a'.repeat(32);
const log = createLogger('artifacts-test', { logLevel: 'silent', logFormat: 'json' });
const MIB = 1024 * 1024;
let pg: EmbeddedPostgres;
let s3: EmbeddedS3;
let prisma: PrismaClient;
let registry: { url: string; stop(): Promise<void> };
let registryProxy: CountingProxy;
let artifacts: RunningArtifacts;
let editor: Caller;
let viewer: Caller;
let stranger: Caller;
const admin: Caller = { id: 'test-admin', kind: 'admin', scopes: ['*'] };
let experimentId: string;
let runId: string;
let otherRunId: string;
let datasetId: string;
let datasetVersionId: string;
let modelId: string;
let modelVersionId: string;

interface GqlResult {
  // biome-ignore lint/suspicious/noExplicitAny: answers are checked field by field
  data?: any;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
}

async function gql(caller: Caller, query: string, variables: Record<string, unknown> = {}): Promise<GqlResult> {
  const res = await fetch(`${artifacts.url}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      [CONTEXT_HEADER]: signContext(secret, { requestId: randomUUID(), caller, query }),
    },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as GqlResult;
}

const REQUEST = `mutation($input: RequestUploadInput!) { requestUpload(input: $input) {
  uploadId method key name url headers { name value } partSize partCount parts { partNumber sizeBytes url } expiresAt completeBy } }`;
const COMPLETE = `mutation($id: ID!, $parts: [CompletedPartInput!]) { completeUpload(uploadId: $id, parts: $parts) {
  id name key sizeBytes contentType checksum etag versionId ownerKind ownerId uploadedBy downloadUrl } }`;
const PART_URLS = `mutation($id: ID!, $first: Int, $count: Int) { uploadPartUrls(uploadId: $id, firstPart: $first, count: $count) { partNumber sizeBytes url } }`;
const DOWNLOAD = `query($id: ID!, $s: Int) { artifact(id: $id) { name downloadUrl(expiresIn: $s) } }`;
const OUTPUTS = `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Run { id outputs(first: 10) { totalCount edges { cursor node { name sizeBytes checksum } } pageInfo { hasNextPage } } } } }`;

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const codes = (r: GqlResult) => (r.errors ?? []).map((e) => e.extensions?.code);

interface Plan {
  uploadId: string;
  method: 'SINGLE' | 'MULTIPART';
  key: string;
  url: string | null;
  headers: { name: string; value: string }[];
  partSize: number | null;
  partCount: number | null;
  parts: { partNumber: number; sizeBytes: number; url: string }[];
}

async function request(caller: Caller, input: Record<string, unknown>): Promise<{ plan?: Plan; result: GqlResult }> {
  const result = await gql(caller, REQUEST, { input: { ownerKind: 'RUN', ownerId: runId, ...input } });
  return { plan: result.data?.requestUpload, result };
}

async function putSingle(plan: Plan, bytes: Buffer): Promise<Response> {
  return fetch(plan.url as string, {
    method: 'PUT',
    body: bytes,
    headers: Object.fromEntries(plan.headers.map((h) => [h.name, h.value])),
  });
}

async function putParts(plan: Plan, bytes: Buffer, urls = plan.parts) {
  return Promise.all(
    urls.map(async (p) => {
      const start = (p.partNumber - 1) * (plan.partSize as number);
      const res = await fetch(p.url, { method: 'PUT', body: bytes.subarray(start, start + p.sizeBytes) });
      expect(res.status).toBe(200);
      return { partNumber: p.partNumber, etag: res.headers.get('etag') as string };
    }),
  );
}

beforeAll(async () => {
  [pg, s3] = await Promise.all([
    startEmbeddedPostgres({ dataDir: path.join(dir, 'pg') }),
    startEmbeddedS3({ dataDir: path.join(dir, 's3') }),
  ]);
  const databaseUrl = new URL(pg.url);
  databaseUrl.pathname = '/lab';
  const base = { LAB_DATA_DIR: dir, LAB_INTERNAL_SECRET: secret, LOG_LEVEL: 'silent', DATABASE_URL: databaseUrl.href };
  registry = await startRegistry(loadConfig({ ...base, REGISTRY_PORT: '0' }), log);
  prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: databaseUrl.href }) });
  registryProxy = await startCountingProxy(registry.url);
  artifacts = await startArtifacts(
    loadConfig({
      ...base,
      ...s3.env,
      ARTIFACTS_PORT: '0',
      REGISTRY_URL: `${registryProxy.origin}/graphql`,
      ARTIFACTS_MULTIPART_THRESHOLD_MIB: '8',
      ARTIFACTS_PART_SIZE_MIB: '5',
    }),
    log,
  );
  const [e, v, s] = await Promise.all(
    ['editor', 'viewer', 'stranger'].map((name) => prisma.user.create({ data: { email: `${name}@lab.test`, name } })),
  );
  editor = { id: e?.id as string, kind: 'user', scopes: ['*'] };
  viewer = { id: v?.id as string, kind: 'user', scopes: ['*'] };
  stranger = { id: s?.id as string, kind: 'user', scopes: ['*'] };
  const project = await prisma.project.create({ data: { name: 'artifacts', createdById: editor.id } });
  await prisma.projectMember.createMany({
    data: [
      { projectId: project.id, userId: editor.id, role: 'EDITOR' },
      { projectId: project.id, userId: viewer.id, role: 'VIEWER' },
    ],
  });
  const experiment = await prisma.experiment.create({ data: { projectId: project.id, name: 'exp', ownerId: editor.id } });
  experimentId = experiment.id;
  runId = (await prisma.run.create({ data: { experimentId, name: 'r1', createdById: editor.id } })).id;
  otherRunId = (await prisma.run.create({ data: { experimentId, name: 'r2', createdById: editor.id } })).id;
  datasetId = (await prisma.dataset.create({ data: { projectId: project.id, name: 'ds', createdById: editor.id } })).id;
  datasetVersionId = (
    await prisma.datasetVersion.create({ data: { datasetId, label: 'v1', format: 'parquet', createdById: editor.id } })
  ).id;
  modelId = (await prisma.model.create({ data: { projectId: project.id, name: 'm', createdById: editor.id } })).id;
  modelVersionId = (await prisma.modelVersion.create({ data: { modelId, version: 1, createdById: editor.id } })).id;
}, 120_000);

afterAll(async () => {
  await artifacts?.stop();
  await registryProxy?.stop();
  await prisma?.$disconnect();
  await registry?.stop();
  await Promise.all([pg?.stop(), s3?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

describe('single-part uploads', () => {
  it('PUTs through the presigned URL, completes with the checksum, downloads the same bytes under the file name', async () => {
    const bytes = Buffer.from('{"loss": 0.125, "note": "été"}\n');
    const { plan, result } = await request(editor, {
      name: 'eval/summary (final).json',
      contentType: 'application/json',
      sizeBytes: bytes.length,
      checksum: `sha256:${sha256(bytes)}`,
    });
    expect(result.errors).toBeUndefined();
    expect(plan).toMatchObject({
      method: 'SINGLE',
      key: `experiments/${experimentId}/runs/${runId}/outputs/eval/summary (final).json`,
      parts: [],
      partSize: null,
    });
    expect((await putSingle(plan as Plan, bytes)).status).toBe(200);
    const done = await gql(editor, COMPLETE, { id: plan?.uploadId });
    expect(done.errors).toBeUndefined();
    expect(done.data.completeUpload).toMatchObject({
      name: 'eval/summary (final).json',
      sizeBytes: bytes.length,
      contentType: 'application/json',
      checksum: `sha256:${sha256(bytes)}`,
      versionId: null,
      ownerKind: 'RUN',
      ownerId: runId,
      uploadedBy: editor.id,
    });
    const download = await fetch(done.data.completeUpload.downloadUrl);
    expect(download.status).toBe(200);
    expect(Buffer.from(await download.arrayBuffer()).equals(bytes)).toBe(true);
    expect(download.headers.get('content-disposition')).toBe(
      `attachment; filename="summary (final).json"; filename*=UTF-8''summary%20%28final%29.json`,
    );
    // The name is taken now: replacing it must be asked for.
    expect(codes((await request(editor, { name: 'eval/summary (final).json', sizeBytes: 1 })).result)).toEqual(['CONFLICT']);
    expect(
      (await request(editor, { name: 'eval/summary (final).json', sizeBytes: 1, overwrite: true })).result.errors,
    ).toBeUndefined();
    // A viewer reads it too.
    const viewed = await gql(viewer, DOWNLOAD, { id: done.data.completeUpload.id });
    expect(viewed.errors).toBeUndefined();
    expect(viewed.data.artifact.name).toBe('eval/summary (final).json');
  });

  it('refuses to complete before anything was PUT, and deletes an upload whose bytes do not match the checksum', async () => {
    const bytes = randomBytes(1000);
    const { plan } = await request(editor, { name: 'bad.bin', sizeBytes: 1000, checksum: `sha256:${'0'.repeat(64)}` });
    expect(codes(await gql(editor, COMPLETE, { id: plan?.uploadId }))).toEqual(['CONFLICT']);
    await putSingle(plan as Plan, bytes);
    const done = await gql(editor, COMPLETE, { id: plan?.uploadId });
    expect(codes(done)).toEqual(['BAD_USER_INPUT']);
    expect(done.errors?.[0]?.message).toMatch(/SHA-256 .* deleted/);
    const listed = await gql(editor, OUTPUTS, { reps: [{ __typename: 'Run', id: runId }] });
    expect(listed.data._entities[0].outputs.edges.map((e: { node: { name: string } }) => e.node.name)).not.toContain('bad.bin');
  });

  it('refuses a downloadUrl once it has expired', async () => {
    const bytes = Buffer.from('short-lived');
    const { plan } = await request(editor, { name: 'expiring.txt', contentType: 'text/plain', sizeBytes: bytes.length });
    await putSingle(plan as Plan, bytes);
    const done = await gql(editor, COMPLETE, { id: plan?.uploadId });
    const url = (await gql(editor, DOWNLOAD, { id: done.data.completeUpload.id, s: 1 })).data.artifact.downloadUrl as string;
    expect(new URL(url).searchParams.get('X-Amz-Expires')).toBe('1');
    await new Promise((r) => setTimeout(r, 2_100));
    const refused = await fetch(url);
    expect(refused.status).toBe(403);
    expect(await refused.text()).toMatch(/expired/);
    expect(codes(await gql(editor, DOWNLOAD, { id: done.data.completeUpload.id, s: 3601 }))).toEqual(['BAD_USER_INPUT']);
  });
});

describe('multipart uploads', () => {
  it('uploads 28 MiB in 6 parts through paged part URLs, completes with the ETags, downloads with a matching checksum', async () => {
    const bytes = randomBytes(28 * MIB);
    const checksum = `sha256:${sha256(bytes)}`;
    const { plan, result } = await request(editor, { name: 'ckpt/model.safetensors', sizeBytes: bytes.length, checksum });
    expect(result.errors).toBeUndefined();
    expect(plan).toMatchObject({ method: 'MULTIPART', partSize: 5 * MIB, partCount: 6, url: null });
    expect(plan?.parts.map((p) => p.partNumber)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(plan?.parts.at(-1)?.sizeBytes).toBe(3 * MIB);
    // A later page of part URLs, as a client of a 5 TB file would fetch them.
    const page = await gql(editor, PART_URLS, { id: plan?.uploadId, first: 4, count: 10 });
    expect(page.data.uploadPartUrls.map((p: { partNumber: number }) => p.partNumber)).toEqual([4, 5, 6]);
    const parts = await putParts(plan as Plan, bytes, [...(plan as Plan).parts.slice(0, 3), ...page.data.uploadPartUrls]);
    expect(codes(await gql(editor, COMPLETE, { id: plan?.uploadId, parts: parts.slice(1) }))).toEqual(['BAD_USER_INPUT']);
    const done = await gql(editor, COMPLETE, { id: plan?.uploadId, parts });
    expect(done.errors).toBeUndefined();
    expect(done.data.completeUpload).toMatchObject({ sizeBytes: bytes.length, checksum, name: 'ckpt/model.safetensors' });
    const download = await fetch(done.data.completeUpload.downloadUrl);
    expect(sha256(Buffer.from(await download.arrayBuffer()))).toBe(sha256(bytes));
    // Completing again (a retry) answers the same file.
    const again = await gql(editor, COMPLETE, { id: plan?.uploadId, parts });
    expect(again.data.completeUpload.id).toBe(done.data.completeUpload.id);
  });

  it('aborts an upload on request, and the sweep aborts abandoned ones (admins only)', async () => {
    const { plan } = await request(editor, { name: 'abandoned.bin', sizeBytes: 10 * MIB });
    expect((await gql(editor, 'mutation($id: ID!) { abortUpload(uploadId: $id) }', { id: plan?.uploadId })).data).toEqual({
      abortUpload: true,
    });
    expect(codes(await gql(editor, COMPLETE, { id: plan?.uploadId, parts: [] }))).toEqual(['CONFLICT']);

    const { plan: left } = await request(editor, { name: 'left-behind.bin', sizeBytes: 10 * MIB });
    const SWEEP = 'mutation($h: Float) { sweepIncompleteUploads(olderThanHours: $h) { aborted serverListed } }';
    expect(codes(await gql(editor, SWEEP, { h: 0 }))).toEqual(['FORBIDDEN']);
    expect((await gql(admin, SWEEP, { h: 24 })).data.sweepIncompleteUploads).toEqual({ aborted: 0, serverListed: false });
    expect((await gql(admin, SWEEP, { h: 0 })).data.sweepIncompleteUploads).toEqual({ aborted: 1, serverListed: false });
    expect(codes(await gql(editor, COMPLETE, { id: left?.uploadId, parts: [] }))).toEqual(['CONFLICT']);
  });
});

describe('owners, listings and access', () => {
  it('keeps each owner under its own prefix and lists them, many owners in one request', async () => {
    const put = async (ownerKind: string, ownerId: string, name: string) => {
      const bytes = Buffer.from(name);
      const r = await gql(editor, REQUEST, { input: { ownerKind, ownerId, name, sizeBytes: bytes.length } });
      expect(r.errors).toBeUndefined();
      await putSingle(r.data.requestUpload, bytes);
      expect((await gql(editor, COMPLETE, { id: r.data.requestUpload.uploadId })).errors).toBeUndefined();
      return r.data.requestUpload.key as string;
    };
    expect(await put('DATASET_VERSION', datasetVersionId, 'data.parquet')).toBe(
      `datasets/${datasetId}/${datasetVersionId}/data.parquet`,
    );
    expect(await put('MODEL_VERSION', modelVersionId, 'weights/a.bin')).toBe(
      `models/${modelId}/artifacts/${modelVersionId}/weights/a.bin`,
    );
    for (const n of ['a.txt', 'b.txt', 'c.txt']) await put('RUN', otherRunId, n);

    const all = await gql(
      viewer,
      `query($reps: [_Any!]!) { _entities(representations: $reps) {
        ... on Run { outputs(first: 2) { totalCount edges { node { name } cursor } pageInfo { hasNextPage endCursor } } }
        ... on DatasetVersion { files { edges { node { name key } } } }
        ... on ModelVersion { artifacts { edges { node { name modelVersion { id } } } } } } }`,
      {
        reps: [
          { __typename: 'Run', id: otherRunId },
          { __typename: 'DatasetVersion', id: datasetVersionId },
          { __typename: 'ModelVersion', id: modelVersionId },
        ],
      },
    );
    expect(all.errors).toBeUndefined();
    const [run, dataset, model] = all.data._entities;
    expect(run.outputs.totalCount).toBe(3);
    expect(run.outputs.edges.map((e: { node: { name: string } }) => e.node.name)).toEqual(['a.txt', 'b.txt']);
    expect(run.outputs.pageInfo.hasNextPage).toBe(true);
    const next = await gql(
      viewer,
      `query($reps: [_Any!]!, $after: String) { _entities(representations: $reps) { ... on Run { outputs(first: 2, after: $after) { edges { node { name } } pageInfo { hasNextPage } } } } }`,
      { reps: [{ __typename: 'Run', id: otherRunId }], after: run.outputs.pageInfo.endCursor },
    );
    expect(next.data._entities[0].outputs).toEqual({ edges: [{ node: { name: 'c.txt' } }], pageInfo: { hasNextPage: false } });
    expect(dataset.files.edges[0].node.name).toBe('data.parquet');
    expect(model.artifacts.edges[0].node).toEqual({ name: 'weights/a.bin', modelVersion: { id: modelVersionId } });
  });

  it('gives no URL to a caller without access: NOT_FOUND for strangers, FORBIDDEN for a viewer writing', async () => {
    expect(codes((await request(stranger, { name: 'x.bin', sizeBytes: 1 })).result)).toEqual(['NOT_FOUND']);
    expect(codes((await request(viewer, { name: 'x.bin', sizeBytes: 1 })).result)).toEqual(['FORBIDDEN']);
    expect(codes((await request(editor, { ownerId: randomUUID(), name: 'x.bin', sizeBytes: 1 })).result)).toEqual(['NOT_FOUND']);

    const { plan } = await request(editor, { name: 'private.txt', sizeBytes: 2 });
    await putSingle(plan as Plan, Buffer.from('hi'));
    const done = await gql(editor, COMPLETE, { id: plan?.uploadId });
    const hidden = await gql(stranger, DOWNLOAD, { id: done.data.completeUpload.id });
    expect(hidden.data).toBeNull();
    expect(codes(hidden)).toEqual(['NOT_FOUND']);
    expect(JSON.stringify(hidden)).not.toMatch(/X-Amz-Signature/);
    const listed = await gql(stranger, OUTPUTS, { reps: [{ __typename: 'Run', id: runId }] });
    expect(listed.data._entities[0].outputs).toBeNull();
    expect(codes(listed)).toEqual(['NOT_FOUND']);
    // The stranger cannot complete or abort someone else's upload either.
    expect(codes(await gql(stranger, COMPLETE, { id: plan?.uploadId }))).toEqual(['NOT_FOUND']);
    // A forged or altered id is not found.
    expect(codes(await gql(editor, DOWNLOAD, { id: Buffer.from('backups/postgresql/x').toString('base64url') }))).toEqual([
      'NOT_FOUND',
    ]);
  });

  it("asks the registry once per request for an owner's place and the caller's rights, the first time too", async () => {
    const callsOf = async (work: () => Promise<GqlResult>) => {
      const before = registryProxy.calls.length;
      expect((await work()).errors).toBeUndefined();
      return registryProxy.calls.slice(before).map((c) => c.operationName);
    };
    const freshRun = (await prisma.run.create({ data: { experimentId, name: 'r-calls', createdById: editor.id } })).id;
    const upload = { input: { ownerKind: 'RUN', ownerId: freshRun, name: 'calls.txt', sizeBytes: 2 } };
    expect(await callsOf(() => gql(editor, REQUEST, upload))).toEqual(['Ownership']);
    expect(await callsOf(() => gql(viewer, OUTPUTS, { reps: [{ __typename: 'Run', id: freshRun }] }))).toEqual(['Ownership']);
    // Rights are asked at each use: a viewer removed from the project loses the listing on the next request.
    await prisma.projectMember.deleteMany({ where: { userId: viewer.id } });
    try {
      const hidden = await gql(viewer, OUTPUTS, { reps: [{ __typename: 'Run', id: freshRun }] });
      expect(codes(hidden)).toEqual(['NOT_FOUND']);
    } finally {
      const projectId = (await prisma.experiment.findUniqueOrThrow({ where: { id: experimentId } })).projectId;
      await prisma.projectMember.create({ data: { projectId, userId: viewer.id, role: 'VIEWER' } });
    }
  });

  it('refuses every hostile name with BAD_USER_INPUT before asking anything of S3', async () => {
    const answers = await Promise.all(HOSTILE_NAMES.map((name) => request(editor, { name, sizeBytes: 1 })));
    for (const [i, a] of answers.entries()) {
      expect({ name: HOSTILE_NAMES[i], codes: codes(a.result) }).toEqual({ name: HOSTILE_NAMES[i], codes: ['BAD_USER_INPUT'] });
    }
  });

  it('refuses sizes S3 cannot hold and bad checksums', async () => {
    expect(codes((await request(editor, { name: 'huge.bin', sizeBytes: 6 * 1024 ** 4 })).result)).toEqual(['BAD_USER_INPUT']);
    expect(codes((await request(editor, { name: 'neg.bin', sizeBytes: -1 })).result)).toEqual(['BAD_USER_INPUT']);
    expect(codes((await request(editor, { name: 'c.bin', sizeBytes: 1, checksum: 'md5:00' })).result)).toEqual([
      'BAD_USER_INPUT',
    ]);
  });
});
