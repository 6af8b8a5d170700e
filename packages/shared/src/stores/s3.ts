/** The S3 client: S3_ENDPOINT (MinIO, S3, or the embedded s3rver) with path-style addressing by default. */
import { S3Client } from '@aws-sdk/client-s3';
import type { Config } from '../config';

/** Credentials the embedded S3 server accepts (it does not check signatures). */
export const EMBEDDED_S3_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

export function createS3(config: Pick<Config, 's3'>): S3Client {
  const s3 = config.s3;
  if (!s3.endpoint) throw new Error('S3_ENDPOINT is not set (npm start sets it to the embedded S3 server)');
  return new S3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: s3.forcePathStyle,
    credentials:
      s3.accessKeyId && s3.secretAccessKey
        ? { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey }
        : EMBEDDED_S3_CREDENTIALS,
  });
}
