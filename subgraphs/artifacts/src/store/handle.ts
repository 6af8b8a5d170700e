/** What the store modules share: the S3 client, a presigning client, the bucket and what it supports. */
import type { S3Client } from '@aws-sdk/client-s3';
import type { BucketCapabilities } from './bucket';
import type { Limit } from './limit';

export interface S3Handle {
  s3: S3Client;
  /** Signs URLs for clients: S3_PUBLIC_ENDPOINT when set, and no default body checksum. */
  presigner: S3Client;
  bucket: string;
  capabilities: BucketCapabilities;
  /** Bounds the concurrent S3 calls of listings and HEADs. */
  limit: Limit;
}

/** Object metadata keys (x-amz-meta-*) the platform writes. */
export const META_SHA256 = 'lab-sha256';
export const META_UPLOADED_BY = 'lab-uploaded-by';
