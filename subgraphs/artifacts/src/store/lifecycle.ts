/**
 * The bucket's lifecycle rules (DESIGN.md): infrequent access after 90 days,
 * Glacier after 365, expiry after 7 years, incomplete multipart uploads
 * aborted after a day. Put, then read back to learn what the server keeps.
 */
import {
  GetBucketLifecycleConfigurationCommand,
  type LifecycleRule,
  PutBucketLifecycleConfigurationCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { Logger } from '@lab/shared';
import { describeError } from './s3Errors';

const SEVEN_YEARS_DAYS = 2555;

const expiry: LifecycleRule = {
  ID: 'lab-expire-after-7-years',
  Status: 'Enabled',
  Filter: { Prefix: '' },
  Expiration: { Days: SEVEN_YEARS_DAYS },
  // With versioning on, expiring the current version only adds a delete
  // marker; older versions go 7 years after they were replaced.
  NoncurrentVersionExpiration: { NoncurrentDays: SEVEN_YEARS_DAYS },
};

const tiering: LifecycleRule = {
  ID: 'lab-tiering',
  Status: 'Enabled',
  Filter: { Prefix: '' },
  Transitions: [
    { Days: 90, StorageClass: 'STANDARD_IA' },
    { Days: 365, StorageClass: 'GLACIER' },
  ],
};

const abortMultipart: LifecycleRule = {
  ID: 'lab-abort-incomplete-multipart',
  Status: 'Enabled',
  Filter: { Prefix: '' },
  AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
};

export const LIFECYCLE_RULES: readonly LifecycleRule[] = [tiering, expiry, abortMultipart];

export interface LifecycleSupport {
  /** Expiry and multipart clean-up rules are in place. */
  lifecycle: boolean;
  /** The storage-class transitions are in place too. */
  lifecycleTransitions: boolean;
}

async function put(s3: S3Client, bucket: string, rules: LifecycleRule[]): Promise<unknown> {
  try {
    await s3.send(new PutBucketLifecycleConfigurationCommand({ Bucket: bucket, LifecycleConfiguration: { Rules: rules } }));
    return undefined;
  } catch (err) {
    return err;
  }
}

async function readBackIds(s3: S3Client, bucket: string): Promise<Set<string>> {
  try {
    const out = await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }));
    return new Set((out.Rules ?? []).map((r) => r.ID ?? ''));
  } catch {
    return new Set();
  }
}

/**
 * Puts all rules; when refused (MinIO refuses transitions to a storage class
 * it has no tier for), puts them without the transitions. Never throws.
 */
export async function applyLifecycle(s3: S3Client, bucket: string, log: Logger): Promise<LifecycleSupport> {
  const failure = await put(s3, bucket, [...LIFECYCLE_RULES]);
  let refusedTransitions: unknown;
  if (failure) {
    refusedTransitions = failure;
    await put(s3, bucket, [expiry, abortMultipart]);
  }
  const ids = await readBackIds(s3, bucket);
  const lifecycle = [expiry, abortMultipart].every((r) => ids.has(r.ID as string));
  const lifecycleTransitions = lifecycle && ids.has(tiering.ID as string);
  if (!lifecycle) {
    log.warn(
      { bucket, feature: 'lifecycle', answer: failure ? describeError(failure) : 'rules not read back' },
      `S3 server lacks bucket lifecycle rules: objects in "${bucket}" will not move to cheaper storage, expire after 7 years, ` +
        'nor will abandoned multipart uploads be cleaned up (use MinIO or S3 for that)',
    );
  } else if (!lifecycleTransitions) {
    log.warn(
      { bucket, feature: 'lifecycle transitions', answer: refusedTransitions ? describeError(refusedTransitions) : undefined },
      `S3 server kept expiry rules but not the storage-class transitions (STANDARD_IA after 90 days, GLACIER after 365) on "${bucket}"`,
    );
  }
  return { lifecycle, lifecycleTransitions };
}
