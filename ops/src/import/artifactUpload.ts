/**
 * A run's artifact files uploaded as its outputs through the platform's
 * presigned URLs: `requestUpload` with the file's size and SHA-256, one PUT
 * (or the parts of a multipart plan), `completeUpload`, which checks the bytes.
 * A file already among the run's outputs with the same checksum is left as it is.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { type PlatformClient, PlatformError, readSlice } from './platformClient';

const OUTPUTS = `query($id: ID!, $after: String) { run(id: $id) { outputs(first: 1000, after: $after) {
  edges { node { name checksum } } pageInfo { hasNextPage endCursor } } } }`;
const REQUEST_UPLOAD = `mutation($i: RequestUploadInput!) { requestUpload(input: $i) {
  uploadId method url headers { name value } partSize partCount parts { partNumber sizeBytes url } } }`;
const PART_URLS = `mutation($id: ID!, $first: Int) { uploadPartUrls(uploadId: $id, firstPart: $first, count: 100) { partNumber sizeBytes url } }`;
const COMPLETE = `mutation($id: ID!, $parts: [CompletedPartInput!]) { completeUpload(uploadId: $id, parts: $parts) { id } }`;

/** Content types by extension, for downloads that open in the right program; others are octet streams. */
const CONTENT_TYPES: Record<string, string> = {
  '.txt': 'text/plain',
  '.log': 'text/plain',
  '.md': 'text/markdown',
  '.csv': 'text/csv',
  '.json': 'application/json',
  '.yaml': 'application/yaml',
  '.yml': 'application/yaml',
  '.html': 'text/html',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.svg': 'image/svg+xml',
  '.parquet': 'application/vnd.apache.parquet',
};

interface PartUrl {
  partNumber: number;
  sizeBytes: number;
  url: string;
}

interface UploadPlan {
  uploadId: string;
  method: 'PUT' | 'MULTIPART';
  url: string | null;
  headers: { name: string; value: string }[];
  partSize: number | null;
  partCount: number | null;
  parts: PartUrl[];
}

export interface UploadOutcome {
  uploaded: number;
  bytes: number;
  alreadyThere: number;
  /** Files the platform refused (a name outside its rules, another file under that name), with the reason. */
  refused: { name: string; reason: string }[];
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** name → checksum hex of every output the run has. */
async function outputsOf(client: PlatformClient, runId: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let after: string | null = null;
  for (;;) {
    type Page = {
      run: {
        outputs: {
          edges: { node: { name: string; checksum: string | null } }[];
          pageInfo: { hasNextPage: boolean; endCursor: string | null };
        } | null;
      };
    };
    const page: Page = await client.gql<Page>(OUTPUTS, { id: runId, after });
    const outputs = page.run.outputs;
    for (const { node } of outputs?.edges ?? []) out.set(node.name, (node.checksum ?? '').replace(/^sha256:/, ''));
    if (!outputs?.pageInfo.hasNextPage) return out;
    after = outputs.pageInfo.endCursor;
  }
}

async function uploadParts(
  client: PlatformClient,
  file: string,
  plan: UploadPlan,
): Promise<{ partNumber: number; etag: string }[]> {
  const partSize = plan.partSize ?? 0;
  const count = plan.partCount ?? 0;
  const done: { partNumber: number; etag: string }[] = [];
  let urls = plan.parts;
  while (done.length < count) {
    if (urls.length === 0) {
      urls = (await client.gql<{ uploadPartUrls: PartUrl[] }>(PART_URLS, { id: plan.uploadId, first: done.length + 1 }))
        .uploadPartUrls;
    }
    for (const part of urls) {
      const bytes = await readSlice(file, (part.partNumber - 1) * partSize, part.sizeBytes);
      done.push({ partNumber: part.partNumber, etag: await client.put(part.url, {}, bytes) });
    }
    urls = [];
  }
  return done;
}

/** Uploads one file under `name`; false when the run already has it (same checksum). */
async function uploadFile(
  client: PlatformClient,
  runId: string,
  file: string,
  name: string,
  have: Map<string, string>,
): Promise<number | false> {
  const sha = await sha256Of(file);
  if (have.get(name) === sha) return false;
  if (have.has(name)) throw new PlatformError(`the run already has another file named ${name}`, 'CONFLICT');
  const { size } = await stat(file);
  const contentType = CONTENT_TYPES[path.extname(name).toLowerCase()] ?? 'application/octet-stream';
  const input = { ownerKind: 'RUN', ownerId: runId, name, sizeBytes: size, checksum: `sha256:${sha}`, contentType };
  const { requestUpload: plan } = await client.gql<{ requestUpload: UploadPlan }>(REQUEST_UPLOAD, { i: input });
  let parts: { partNumber: number; etag: string }[] | null = null;
  if (plan.method === 'MULTIPART') parts = await uploadParts(client, file, plan);
  else {
    const headers = Object.fromEntries(plan.headers.map((h) => [h.name, h.value]));
    await client.put(plan.url as string, headers, await readSlice(file, 0, size));
  }
  await client.gql(COMPLETE, { id: plan.uploadId, parts });
  return size;
}

/** Uploads every file below `dir` (names relative to it) as the run's outputs. */
export async function uploadArtifacts(
  client: PlatformClient,
  runId: string,
  dir: string,
  names: readonly string[],
): Promise<UploadOutcome> {
  const outcome: UploadOutcome = { uploaded: 0, bytes: 0, alreadyThere: 0, refused: [] };
  if (names.length === 0) return outcome;
  const have = await outputsOf(client, runId);
  for (const name of names) {
    try {
      const size = await uploadFile(client, runId, path.join(dir, name), name, have);
      if (size === false) outcome.alreadyThere++;
      else {
        outcome.uploaded++;
        outcome.bytes += size;
      }
    } catch (err) {
      if (!(err instanceof PlatformError) || !['BAD_USER_INPUT', 'CONFLICT'].includes(err.code)) throw err;
      outcome.refused.push({ name, reason: err.message });
    }
  }
  return outcome;
}
