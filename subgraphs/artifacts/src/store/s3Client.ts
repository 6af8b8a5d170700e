/**
 * The artifacts store's S3 client: S3_ENDPOINT (MinIO, S3, Ceph RGW, or the embedded server) with path-style
 * addressing by default. S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY sign its requests (`npm start` sets them to
 * the embedded server's key pair); without them the AWS SDK looks for credentials the usual way (environment,
 * profile, instance role).
 */
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import type { Config } from '@lab/shared';

/**
 * `overrides` adjust the client, e.g. `{ endpoint: publicEndpoint, requestChecksumCalculation: 'WHEN_REQUIRED' }`
 * for one that presigns URLs (the SDK's default checksum would bake the CRC32 of an empty body into a PUT URL).
 */
export function createS3(config: Pick<Config, 's3'>, overrides: Partial<S3ClientConfig> = {}): S3Client {
  const s3 = config.s3;
  if (!s3.endpoint) throw new Error('S3_ENDPOINT is not set (npm start sets it to the embedded S3 server)');
  return new S3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: s3.forcePathStyle,
    ...(s3.accessKeyId && s3.secretAccessKey
      ? { credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } }
      : {}),
    ...overrides,
  });
}
