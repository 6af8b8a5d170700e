/**
 * An AWS SDK client of the embedded S3 server for the stack's own tests, signed with the key pair of the
 * server's `env` and set as the services' defaults set theirs (region us-east-1, path-style addressing).
 */
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import type { EmbeddedS3 } from '../embedded/s3';

/** `overrides` adjust the client, e.g. `{ maxAttempts: 1 }`, or `{ requestChecksumCalculation: 'WHEN_REQUIRED' }` to presign. */
export function embeddedS3Client(env: EmbeddedS3['env'], overrides: Partial<S3ClientConfig> = {}): S3Client {
  const credentials = { accessKeyId: env.S3_ACCESS_KEY_ID, secretAccessKey: env.S3_SECRET_ACCESS_KEY };
  return new S3Client({ endpoint: env.S3_ENDPOINT, region: 'us-east-1', forcePathStyle: true, credentials, ...overrides });
}
