/**
 * Makes sure the artifacts bucket exists, then asks for versioning and the
 * lifecycle rules, and reads both back to learn what the server supports.
 * Only a missing or unusable bucket is fatal: s3rver (the embedded server) has
 * neither versioning nor lifecycle, and says so in its own ways (it takes
 * PutBucketVersioning for CreateBucket and answers NotImplemented to lifecycle).
 */
import {
  type BucketLocationConstraint,
  CreateBucketCommand,
  GetBucketVersioningCommand,
  HeadBucketCommand,
  PutBucketVersioningCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { Logger } from '@lab/shared';
import { applyLifecycle, type LifecycleSupport } from './lifecycle';
import { describeError, errorName, httpStatus } from './s3Errors';

export interface BucketCapabilities extends LifecycleSupport {
  /** Versioning is enabled: writes get version ids. */
  versioning: boolean;
}

/** True when the bucket exists and is ours, false when it does not exist; throws otherwise. */
export async function bucketExists(s3: S3Client, bucket: string): Promise<boolean> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
    return true;
  } catch (err) {
    const status = httpStatus(err);
    if (status === 404 || errorName(err) === 'NotFound' || errorName(err) === 'NoSuchBucket') return false;
    if (status === 403) {
      throw new Error(
        `S3 bucket "${bucket}" exists but these credentials may not use it (HTTP 403); set S3_BUCKET or the credentials`,
      );
    }
    throw new Error(`cannot reach S3 bucket "${bucket}": ${describeError(err)}`, { cause: err });
  }
}

async function createIfMissing(s3: S3Client, bucket: string, log: Logger): Promise<void> {
  if (await bucketExists(s3, bucket)) return;
  const region = await s3.config.region();
  try {
    await s3.send(
      new CreateBucketCommand({
        Bucket: bucket,
        ...(region && region !== 'us-east-1'
          ? { CreateBucketConfiguration: { LocationConstraint: region as BucketLocationConstraint } }
          : {}),
      }),
    );
    log.info({ bucket }, 'created S3 bucket');
  } catch (err) {
    if (errorName(err) === 'BucketAlreadyOwnedByYou') return;
    // Another process created it first (s3rver answers BucketAlreadyExists even
    // to its own buckets); on AWS this code means another account owns it.
    if (errorName(err) === 'BucketAlreadyExists' && (await bucketExists(s3, bucket))) return;
    throw new Error(`cannot create S3 bucket "${bucket}": ${describeError(err)}`, { cause: err });
  }
}

/** Enables versioning and reads it back. Never throws. */
async function enableVersioning(s3: S3Client, bucket: string, log: Logger): Promise<boolean> {
  let answer: string | undefined;
  try {
    await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }));
  } catch (err) {
    answer = describeError(err);
  }
  let status: string | undefined;
  try {
    status = (await s3.send(new GetBucketVersioningCommand({ Bucket: bucket }))).Status;
  } catch (err) {
    answer ??= `GetBucketVersioning: ${describeError(err)}`;
  }
  if (status === 'Enabled') return true;
  log.warn(
    { bucket, feature: 'versioning', answer: answer ?? `read back as ${status ?? 'never enabled'}` },
    `S3 server lacks bucket versioning: objects in "${bucket}" get no version ids and an overwrite replaces the old data ` +
      '(use MinIO or S3 for versioning)',
  );
  return false;
}

export async function ensureBucket(s3: S3Client, bucket: string, log: Logger): Promise<BucketCapabilities> {
  await createIfMissing(s3, bucket, log);
  const versioning = await enableVersioning(s3, bucket, log);
  const lifecycle = await applyLifecycle(s3, bucket, log);
  const capabilities = { versioning, ...lifecycle };
  log.info({ bucket, capabilities }, 'S3 bucket ready');
  return capabilities;
}
