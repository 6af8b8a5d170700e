/**
 * The artifacts store: the one holder of the S3 client and the bucket.
 * Resolvers and the service call it, never the client.
 */
import { HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Config, Logger } from '@lab/shared';
import type { StoreStatus } from '@lab/shared/subgraph';
import { BackupsStore } from './backupsStore';
import { type BucketCapabilities, ensureBucket } from './bucket';
import { type CopyLimits, CopyStore, DEFAULT_COPY_LIMITS } from './copyStore';
import { FilesStore } from './filesStore';
import type { S3Handle } from './handle';
import { createLimit } from './limit';
import { PurgeStore } from './purgeStore';
import { createS3 } from './s3Client';
import { UploadsStore } from './uploadsStore';

export type { StoreStatus };

const yesNo = (value: boolean) => (value ? 'yes' : 'no');

export function describeServer(endpoint: string, capabilities: BucketCapabilities, server?: string): string {
  const { versioning, lifecycle, lifecycleTransitions } = capabilities;
  const features = [`versioning: ${yesNo(versioning)}`, `lifecycle: ${yesNo(lifecycle)}`];
  if (lifecycle && !lifecycleTransitions) features.push('transitions: no');
  const host = new URL(endpoint).host;
  return `${server ? `${server} at ` : ''}${host} (${features.join(', ')})`;
}

/** Concurrent S3 calls of listings and HEADs, per process. */
export const S3_CONCURRENCY = 16;

export class ArtifactsStore {
  readonly files: FilesStore;
  readonly uploads: UploadsStore;
  readonly backups: BackupsStore;
  readonly copies: CopyStore;
  readonly purge: PurgeStore;
  private readonly s3: S3Client;

  constructor(
    private readonly handle: S3Handle,
    readonly endpoint: string,
    copyLimits: CopyLimits = DEFAULT_COPY_LIMITS,
  ) {
    this.s3 = handle.s3;
    this.files = new FilesStore(handle);
    this.uploads = new UploadsStore(handle);
    this.backups = new BackupsStore(handle);
    this.copies = new CopyStore(handle, this.uploads, copyLimits);
    this.purge = new PurgeStore(handle);
  }

  get bucket(): string {
    return this.handle.bucket;
  }

  get capabilities(): BucketCapabilities {
    return this.handle.capabilities;
  }

  /** HeadBucket, returning the server's `Server` header when it sends one (MinIO, AmazonS3; s3rver sends none). */
  private async head(signal?: AbortSignal): Promise<string | undefined> {
    const command = new HeadBucketCommand({ Bucket: this.bucket });
    let server: string | undefined;
    command.middlewareStack.add(
      (next) => async (args) => {
        const out = await next(args);
        server = (out.response as { headers?: Record<string, string> }).headers?.server;
        return out;
      },
      { step: 'deserialize', name: 'labServerHeader' },
    );
    await this.s3.send(command, { abortSignal: signal });
    return server;
  }

  /** Health check: the bucket answers. */
  async ping(signal?: AbortSignal): Promise<void> {
    await this.head(signal);
  }

  async status(): Promise<StoreStatus> {
    const started = performance.now();
    const server = await this.head();
    const latencyMs = Math.round((performance.now() - started) * 10) / 10;
    return {
      service: 'artifacts',
      store: 's3',
      serverVersion: describeServer(this.endpoint, this.capabilities, server),
      latencyMs,
    };
  }

  close(): void {
    this.s3.destroy();
    this.handle.presigner.destroy();
  }
}

/** Creates the client, makes sure the bucket exists and learns what the server supports. */
export async function openArtifactsStore(
  config: Pick<Config, 's3'>,
  log: Logger,
  copyLimits: CopyLimits = DEFAULT_COPY_LIMITS,
): Promise<ArtifactsStore> {
  const { endpoint, bucket } = config.s3;
  if (!endpoint) {
    throw new Error('S3_ENDPOINT is not set: the artifacts subgraph needs an S3 server (npm start sets it to the embedded one)');
  }
  const s3 = createS3(config);
  // Clients reach S3 at S3_PUBLIC_ENDPOINT when set; no default checksum (it would sign the CRC32 of an empty body).
  const presigner = createS3(config, {
    endpoint: config.s3.publicEndpoint ?? endpoint,
    requestChecksumCalculation: 'WHEN_REQUIRED',
  });
  try {
    const capabilities = await ensureBucket(s3, bucket, log);
    return new ArtifactsStore({ s3, presigner, bucket, capabilities, limit: createLimit(S3_CONCURRENCY) }, endpoint, copyLimits);
  } catch (err) {
    s3.destroy();
    presigner.destroy();
    throw err;
  }
}
