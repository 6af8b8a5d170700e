/**
 * Files through the platform's one address: upload and download URLs issued by
 * the gateway (artifacts subgraph, access asked of the registry), bytes sent
 * straight to the embedded S3 server.
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform } from './support/testPlatform';

const MIB = 1024 * 1024;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

const REQUEST = `mutation($input: RequestUploadInput!) { requestUpload(input: $input) {
  uploadId method url headers { name value } partSize partCount parts { partNumber sizeBytes url } } }`;
const COMPLETE = `mutation($id: ID!, $parts: [CompletedPartInput!]) { completeUpload(uploadId: $id, parts: $parts) { id name sizeBytes checksum } }`;
const OUTPUTS = `query($id: ID!, $s: Int) { run(id: $id) { name outputs { totalCount edges { node { id name sizeBytes checksum run { name } downloadUrl(expiresIn: $s) } } } } }`;

interface Plan {
  uploadId: string;
  method: string;
  url: string | null;
  headers: { name: string; value: string }[];
  partSize: number | null;
  parts: { partNumber: number; sizeBytes: number; url: string }[];
}

describe('artifacts through the gateway', () => {
  let platform: TestPlatform;
  let runId: string;
  let strangerKey: string;

  beforeAll(async () => {
    platform = await startTestPlatform({ env: { ARTIFACTS_MULTIPART_THRESHOLD_MIB: '8', ARTIFACTS_PART_SIZE_MIB: '5' } });
    ({ runId } = await platform.newRun({ project: 'files-e2e', experiment: 'e', run: 'train' }));
    const user = await platform.gql<{ createUser: { id: string } }>(
      'mutation { createUser(input: { email: "outsider@lab.test", name: "Outsider" }) { id } }',
    );
    const key = await platform.gql<{ createApiKey: { secret: string } }>(
      'mutation($u: ID!) { createApiKey(input: { name: "k", userId: $u }) { secret } }',
      { u: user.body.data?.createUser.id },
    );
    strangerKey = key.body.data?.createApiKey.secret as string;
    expect(strangerKey).toMatch(/^lab_/);
  }, 180_000);

  afterAll(async () => {
    await platform?.stop();
  });

  const request = async (input: Record<string, unknown>, key?: string) =>
    platform.gql<{ requestUpload: Plan }>(REQUEST, { input: { ownerKind: 'RUN', ownerId: runId, ...input } }, key ? { key } : {});

  it('uploads with one PUT and downloads the same bytes through a URL from Run.outputs', async () => {
    const bytes = Buffer.from('step,loss\n1,0.5\n2,0.25\n');
    const asked = await request({
      name: 'metrics/loss.csv',
      contentType: 'text/csv',
      sizeBytes: bytes.length,
      checksum: `sha256:${sha256(bytes)}`,
    });
    expect(asked.body.errors).toBeUndefined();
    const plan = asked.body.data?.requestUpload as Plan;
    expect(plan.method).toBe('SINGLE');
    const put = await fetch(plan.url as string, {
      method: 'PUT',
      body: bytes,
      headers: Object.fromEntries(plan.headers.map((h) => [h.name, h.value])),
    });
    expect(put.status).toBe(200);
    const done = await platform.gql<{ completeUpload: { name: string } }>(COMPLETE, { id: plan.uploadId });
    expect(done.body.errors).toBeUndefined();

    const listed = await platform.gql<{
      run: { outputs: { totalCount: number; edges: { node: { name: string; downloadUrl: string; run: { name: string } } }[] } };
    }>(OUTPUTS, { id: runId });
    expect(listed.body.errors).toBeUndefined();
    const node = listed.body.data?.run.outputs.edges.find((e) => e.node.name === 'metrics/loss.csv')?.node;
    expect(node?.run.name).toBe('train');
    const got = await fetch(node?.downloadUrl as string);
    expect(Buffer.from(await got.arrayBuffer()).equals(bytes)).toBe(true);
    expect(got.headers.get('content-disposition')).toContain(`filename*=UTF-8''loss.csv`);
  });

  it('uploads 24 MiB in five parts and downloads it with a matching checksum', async () => {
    const bytes = randomBytes(24 * MIB);
    const asked = await request({ name: 'ckpt/step-100.pt', sizeBytes: bytes.length, checksum: `sha256:${sha256(bytes)}` });
    const plan = asked.body.data?.requestUpload as Plan;
    expect(plan).toMatchObject({ method: 'MULTIPART', partSize: 5 * MIB, partCount: 5 });
    const parts = await Promise.all(
      plan.parts.map(async (p) => {
        const start = (p.partNumber - 1) * (plan.partSize as number);
        const res = await fetch(p.url, { method: 'PUT', body: bytes.subarray(start, start + p.sizeBytes) });
        return { partNumber: p.partNumber, etag: res.headers.get('etag') as string };
      }),
    );
    const done = await platform.gql<{ completeUpload: { id: string; checksum: string } }>(COMPLETE, { id: plan.uploadId, parts });
    expect(done.body.errors).toBeUndefined();
    const url = await platform.gql<{ artifact: { downloadUrl: string } }>(
      'query($id: ID!) { artifact(id: $id) { downloadUrl } }',
      {
        id: done.body.data?.completeUpload.id,
      },
    );
    const got = Buffer.from(await (await fetch(url.body.data?.artifact.downloadUrl as string)).arrayBuffer());
    expect(sha256(got)).toBe(sha256(bytes));
  });

  it('refuses an expired download URL', async () => {
    const listed = await platform.gql<{ run: { outputs: { edges: { node: { downloadUrl: string } }[] } } }>(OUTPUTS, {
      id: runId,
      s: 1,
    });
    const url = listed.body.data?.run.outputs.edges[0]?.node.downloadUrl as string;
    await new Promise((r) => setTimeout(r, 2_100));
    expect((await fetch(url)).status).toBe(403);
  });

  it('gives a caller outside the project no URL at all', async () => {
    const asked = await request({ name: 'x.bin', sizeBytes: 1 }, strangerKey);
    expect(asked.body.errors?.map((e) => e.extensions?.code)).toEqual(['NOT_FOUND']);
    expect(asked.body.data).toBeNull();
    const listed = await platform.gql(
      'query($id: ID!) { artifact(id: $id) { downloadUrl } }',
      { id: 'bm90LW91cnM' },
      { key: strangerKey },
    );
    expect(listed.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(JSON.stringify(listed.body)).not.toContain('X-Amz-Signature');
  });

  it('refuses hostile names with BAD_USER_INPUT', async () => {
    for (const name of ['../../etc/passwd', '/abs', 'nul\u0000', 'rtl\u202Egpj.exe', 'full\uFF0Fwidth', 'a'.repeat(600)]) {
      const asked = await request({ name, sizeBytes: 1 });
      expect(asked.body.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    }
  });
});
