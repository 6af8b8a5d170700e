/**
 * The last line of the embedded S3 server's confinement: wraps s3rver's
 * filesystem store where names become paths (bucket and object paths, upload
 * ids, part numbers), so that whatever route a name took into s3rver (URL,
 * copy source, the keys of a DeleteObjects body, the part numbers of a
 * CompleteMultipartUpload body) a bad one is refused (400) and no path leaves
 * the store's folder.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { BadS3Name, checkBucket, checkKey, checkPartNumber, checkUploadId } from './s3Keys';

interface FilesystemStore {
  rootDirectory: string;
  getBucketPath(bucket: string): string;
  getBucket(bucket: string): Promise<unknown>;
  getResourcePath(bucket: string, key: string | undefined, resource: string): string;
  initiateUpload(bucket: string, key: string, uploadId: string, metadata: unknown): Promise<unknown>;
  putPart(bucket: string, uploadId: string, partNumber: unknown, content: unknown): Promise<unknown>;
  putObjectMultipart(bucket: string, uploadId: string, parts: { number: unknown }[]): Promise<unknown>;
}

type S3ErrorClass = new (code: string, message: string) => Error;
const S3Error = createRequire(import.meta.url)('s3rver/lib/models/error') as S3ErrorClass;

function guarded<T>(check: () => void, then: () => T): T {
  try {
    check();
  } catch (err) {
    if (err instanceof BadS3Name) throw new S3Error(err.code, err.message);
    throw err;
  }
  return then();
}

/** Makes every path the store derives from a request checked, and inside its folder. */
export function guardStore(store: FilesystemStore): void {
  const root = path.resolve(store.rootDirectory);
  const inside = (resolved: string) => {
    if (!path.resolve(resolved).startsWith(`${root}${path.sep}`)) {
      throw new S3Error('InvalidArgument', 'The name leads outside the storage folder.');
    }
    return resolved;
  };
  const bucketPath = store.getBucketPath.bind(store);
  const getBucket = store.getBucket.bind(store);
  const resourcePath = store.getResourcePath.bind(store);
  const initiateUpload = store.initiateUpload.bind(store);
  const putPart = store.putPart.bind(store);
  const putObjectMultipart = store.putObjectMultipart.bind(store);

  store.getBucketPath = (bucket) =>
    guarded(
      () => checkBucket(bucket),
      () => inside(bucketPath(bucket)),
    );
  // ListBuckets reads the folder: what is not a valid bucket name there (the stored key pair) is no bucket.
  store.getBucket = (bucket) => {
    try {
      checkBucket(bucket);
    } catch {
      return Promise.resolve(null);
    }
    return getBucket(bucket);
  };
  store.getResourcePath = (bucket, key, resource) =>
    guarded(
      () => {
        checkBucket(bucket);
        if (key !== undefined && key !== '') checkKey(key);
      },
      () => inside(resourcePath(bucket, key, resource)),
    );
  store.initiateUpload = (bucket, key, uploadId, metadata) =>
    guarded(
      () => checkUploadId(uploadId),
      () => initiateUpload(bucket, key, uploadId, metadata),
    );
  store.putPart = (bucket, uploadId, partNumber, content) =>
    guarded(
      () => {
        checkUploadId(String(uploadId));
        checkPartNumber(String(partNumber));
      },
      () => putPart(bucket, uploadId, partNumber, content),
    );
  store.putObjectMultipart = (bucket, uploadId, parts) =>
    guarded(
      () => {
        checkUploadId(String(uploadId));
        for (const part of parts) checkPartNumber(Number(part.number));
      },
      () => putObjectMultipart(bucket, uploadId, parts),
    );
}
