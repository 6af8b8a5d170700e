/**
 * Artifacts: how fast the platform hands out presigned URLs, and what going
 * through those URLs costs a large upload.
 *
 * Issuance: requestUpload of a small file (one presigned PUT; the caller's
 * write access asked of the registry on each request) through the gateway,
 * beside the same mutation sent straight to the artifacts subgraph, signed as
 * the gateway would.
 *
 * Throughput: a file of BENCH_UPLOAD_MIB (default 256) uploaded through the
 * platform (requestUpload, the parts PUT to the issued URLs with
 * UPLOAD_PARALLEL in flight, completeUpload) beside a direct AWS SDK multipart
 * upload of the same bytes, same part size and parallelism, to the same S3
 * server in the same run.
 */
import { randomBytes } from 'node:crypto';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { type Benchmark, directAndThroughGateway, figure, gql } from '../harness';

const MIB = 1024 * 1024;
const UPLOAD_PARALLEL = 4;

const REQUEST = `mutation($input: RequestUploadInput!) { requestUpload(input: $input) {
  uploadId method partSize parts { partNumber sizeBytes url } } }`;
const COMPLETE =
  'mutation($id: ID!, $parts: [CompletedPartInput!]) { completeUpload(uploadId: $id, parts: $parts) { sizeBytes } }';

interface Part {
  partNumber: number;
  sizeBytes: number;
  url: string;
}

/** Runs tasks with at most `n` in flight. */
async function pool<T, R>(items: T[], n: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await task(items[i] as T);
      }
    }),
  );
  return out;
}

export const artifacts: Benchmark = {
  name: 'artifacts',
  description:
    'Presigned URL issuance through the gateway vs the artifacts subgraph; a multipart upload through issued URLs vs a direct SDK upload',
  async run({ platform, durationSeconds, connections }) {
    const key = platform.adminApiKey;
    const project = await gql<{ createProject: { id: string } }>(
      platform.graphqlUrl,
      key,
      'mutation { createProject(input: { name: "bench-artifacts" }) { id } }',
      {},
    );
    const experiment = await gql<{ createExperiment: { id: string } }>(
      platform.graphqlUrl,
      key,
      'mutation($p: ID!) { createExperiment(input: { projectId: $p, name: "e" }) { id } }',
      { p: project.createProject.id },
    );
    const run = await gql<{ startRun: { id: string } }>(
      platform.graphqlUrl,
      key,
      'mutation($e: ID!) { startRun(input: { experimentId: $e, name: "r" }) { id } }',
      {
        e: experiment.createExperiment.id,
      },
    );
    const runId = run.startRun.id;

    // Issuance.
    const small = { input: { ownerKind: 'RUN', ownerId: runId, name: 'bench/small.bin', sizeBytes: 1024 } };
    const { baseline, measured } = await directAndThroughGateway(
      { platform, durationSeconds, connections },
      'artifacts',
      REQUEST,
      small,
    );

    // Throughput.
    const sizeMib = Number(process.env.BENCH_UPLOAD_MIB ?? 256);
    const bytes = randomBytes(sizeMib * MIB);
    const started = performance.now();
    const plan = (
      await gql<{ requestUpload: { uploadId: string; method: string; partSize: number; parts: Part[] } }>(
        platform.graphqlUrl,
        key,
        REQUEST,
        {
          input: { ownerKind: 'RUN', ownerId: runId, name: 'bench/large.bin', sizeBytes: bytes.length },
        },
      )
    ).requestUpload;
    if (plan.method !== 'MULTIPART') throw new Error(`expected a multipart plan for ${sizeMib} MiB, got ${plan.method}`);
    const parts = await pool(plan.parts, UPLOAD_PARALLEL, async (p) => {
      const start = (p.partNumber - 1) * plan.partSize;
      const res = await fetch(p.url, { method: 'PUT', body: bytes.subarray(start, start + p.sizeBytes) });
      if (res.status !== 200) throw new Error(`part ${p.partNumber}: HTTP ${res.status}`);
      return { partNumber: p.partNumber, etag: res.headers.get('etag') as string };
    });
    await gql(platform.graphqlUrl, key, COMPLETE, { id: plan.uploadId, parts });
    const viaUrlsSeconds = (performance.now() - started) / 1000;

    const s3 = new S3Client({
      endpoint: platform.serviceEnv.S3_ENDPOINT as string,
      region: platform.config.s3.region,
      forcePathStyle: true,
      credentials: {
        accessKeyId: platform.serviceEnv.S3_ACCESS_KEY_ID as string,
        secretAccessKey: platform.serviceEnv.S3_SECRET_ACCESS_KEY as string,
      },
    });
    const bucket = platform.config.s3.bucket;
    const sdkKey = 'bench/direct-sdk-upload.bin';
    const sdkStarted = performance.now();
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: sdkKey }));
    const numbers = Array.from({ length: Math.ceil(bytes.length / plan.partSize) }, (_, i) => i + 1);
    const sdkParts = await pool(numbers, UPLOAD_PARALLEL, async (n) => {
      const start = (n - 1) * plan.partSize;
      const out = await s3.send(
        new UploadPartCommand({
          Bucket: bucket,
          Key: sdkKey,
          UploadId,
          PartNumber: n,
          Body: bytes.subarray(start, start + plan.partSize),
        }),
      );
      return { PartNumber: n, ETag: out.ETag };
    });
    await s3.send(
      new CompleteMultipartUploadCommand({ Bucket: bucket, Key: sdkKey, UploadId, MultipartUpload: { Parts: sdkParts } }),
    );
    const sdkSeconds = (performance.now() - sdkStarted) / 1000;
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: sdkKey }));
    s3.destroy();

    const issue = { name: 'direct artifacts subgraph call', value: baseline.requestsPerSecond };
    return [
      figure('upload URLs issued through the gateway', 'req/s', measured.requestsPerSecond, issue, 'higher'),
      figure(
        'p99 latency of issuance via the gateway',
        'ms',
        measured.p99Ms,
        { name: 'direct subgraph call', value: baseline.p99Ms },
        'lower',
      ),
      figure(
        `${sizeMib} MiB multipart through issued URLs`,
        'MiB/s',
        sizeMib / viaUrlsSeconds,
        { name: 'direct AWS SDK multipart upload', value: sizeMib / sdkSeconds },
        'higher',
      ),
    ];
  },
};
