/**
 * The artifacts store: the one holder of the S3 client and the bucket.
 * Resolvers and the service call it, never the client.
 */
import { HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { type Config, createS3, type Logger } from '@lab/shared';
import type { StoreStatus } from '@lab/shared/sdl';
import { type BucketCapabilities, ensureBucket } from './bucket';

export type { StoreStatus };

const yesNo = (value: boolean) => (value ? 'yes' : 'no');

export function describeServer(endpoint: string, capabilities: BucketCapabilities, server?: string): string {
  const { versioning, lifecycle, lifecycleTransitions } = capabilities;
  const features = [`versioning: ${yesNo(versioning)}`, `lifecycle: ${yesNo(lifecycle)}`];
  if (lifecycle && !lifecycleTransitions) features.push('transitions: no');
  const host = new URL(endpoint).host;
  return `${server ? `${server} at ` : ''}${host} (${features.join(', ')})`;
}

export class ArtifactsStore {
  constructor(
    private readonly s3: S3Client,
    readonly bucket: string,
    readonly endpoint: string,
    readonly capabilities: BucketCapabilities,
  ) {}

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
  }
}

/** Creates the client, makes sure the bucket exists and learns what the server supports. */
export async function openArtifactsStore(config: Pick<Config, 's3'>, log: Logger): Promise<ArtifactsStore> {
  const { endpoint, bucket } = config.s3;
  if (!endpoint) {
    throw new Error('S3_ENDPOINT is not set: the artifacts subgraph needs an S3 server (npm start sets it to the embedded one)');
  }
  const s3 = createS3(config);
  try {
    const capabilities = await ensureBucket(s3, bucket, log);
    return new ArtifactsStore(s3, bucket, endpoint, capabilities);
  } catch (err) {
    s3.destroy();
    throw err;
  }
}
