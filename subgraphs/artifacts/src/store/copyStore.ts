/**
 * Copies of objects inside the bucket, done by the server (no bytes pass
 * through the service): one CopyObject up to 5 GiB (S3's largest single
 * copy), a multipart copy above (UploadPartCopy, with a pending marker like
 * every multipart upload the platform starts). The copy keeps the source's
 * content type and metadata (its checksum and uploader).
 *
 * s3rver has no UploadPartCopy (NotImplemented) but copies any size in one
 * CopyObject: where the server refuses a part copy, the upload is aborted,
 * the object copied whole, and parts are not tried again in this process.
 */
import { CopyObjectCommand, UploadPartCopyCommand } from '@aws-sdk/client-s3';
import type { ObjectHead } from './filesStore';
import type { S3Handle } from './handle';
import { errorName } from './s3Errors';
import type { UploadsStore } from './uploadsStore';

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;
/** S3 refuses more parts in one upload. */
const MAX_PARTS = 10_000;

export interface CopyLimits {
  /** Largest object copied with one CopyObject (default 5 GiB, S3's limit). */
  singleCopyMaxBytes: number;
  /** Size of each UploadPartCopy (default 512 MiB; more when the object would need over 10,000 parts). */
  partBytes: number;
}

export const DEFAULT_COPY_LIMITS: CopyLimits = { singleCopyMaxBytes: 5 * GIB, partBytes: 512 * MIB };

const UNSUPPORTED = new Set(['NotImplemented', 'MethodNotAllowed']);
/** Characters decodeURI leaves encoded, which s3rver therefore cannot find in a copy source. */
const DECODE_URI_RESERVED = /%(2B|3D|40|2C|3A|24|26|3B)/gi;

/** `bucket/key` with each key segment URL-encoded, as S3 wants the copy source. */
function copySource(bucket: string, key: string, versionId?: string): string {
  const path = `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
  return versionId ? `${path}?versionId=${encodeURIComponent(versionId)}` : path;
}

/**
 * The same source as s3rver reads it: it decodes the header with decodeURI,
 * which leaves + = @ , : $ & ; encoded; undefined when the key has none of them.
 */
function rawReservedSource(source: string): string | undefined {
  const raw = source.replace(DECODE_URI_RESERVED, (encoded) => decodeURIComponent(encoded));
  return raw === source ? undefined : raw;
}

/** Part ranges of `size` bytes, each `partBytes` long but the last (more per part when 10,000 would not do). */
export function copyParts(size: number, partBytes: number): { partNumber: number; range: string }[] {
  const per = Math.max(partBytes, Math.ceil(size / MAX_PARTS / MIB) * MIB);
  const parts: { partNumber: number; range: string }[] = [];
  for (let start = 0; start < size; start += per) {
    parts.push({ partNumber: parts.length + 1, range: `bytes=${start}-${Math.min(size, start + per) - 1}` });
  }
  return parts;
}

export class CopyStore {
  /** Whether the server copies parts; undefined until a copy above the single-copy limit tried. */
  private partCopies: boolean | undefined;

  constructor(
    private readonly h: S3Handle,
    private readonly uploads: UploadsStore,
    private readonly limits: CopyLimits = DEFAULT_COPY_LIMITS,
  ) {}

  /** Copies the object `source` describes (its version, where there is one) to `key`. */
  async copy(source: ObjectHead, key: string): Promise<void> {
    if (source.size > this.limits.singleCopyMaxBytes && this.partCopies !== false) {
      if (await this.copyInParts(source, key)) return;
    }
    await this.copyWhole(source, key);
  }

  private async copyWhole(source: ObjectHead, key: string): Promise<void> {
    const encoded = copySource(this.h.bucket, source.key, source.versionId);
    const send = (from: string) =>
      this.h.limit(() =>
        this.h.s3.send(new CopyObjectCommand({ Bucket: this.h.bucket, Key: key, CopySource: from, MetadataDirective: 'COPY' })),
      );
    try {
      await send(encoded);
    } catch (err) {
      const raw = rawReservedSource(encoded);
      if (errorName(err) !== 'NoSuchKey' || raw === undefined) throw err;
      await send(raw);
    }
  }

  /** The multipart copy; false when the server has no UploadPartCopy (the upload is aborted then). */
  private async copyInParts(source: ObjectHead, key: string): Promise<boolean> {
    const uploadId = await this.uploads.startCopy(key, source.size, source.contentType, source.metadata);
    const from = copySource(this.h.bucket, source.key, source.versionId);
    const copyPart = ({ partNumber, range }: { partNumber: number; range: string }) =>
      this.h.limit(async () => {
        const out = await this.h.s3.send(
          new UploadPartCopyCommand({
            Bucket: this.h.bucket,
            Key: key,
            UploadId: uploadId,
            PartNumber: partNumber,
            CopySource: from,
            CopySourceRange: range,
            ...(source.etag ? { CopySourceIfMatch: `"${source.etag}"` } : {}),
          }),
        );
        return { partNumber, etag: out.CopyPartResult?.ETag as string };
      });
    try {
      // Every part settles before an abort, so none lands after it.
      const settled = await Promise.allSettled(copyParts(source.size, this.limits.partBytes).map(copyPart));
      const failed = settled.find((s) => s.status === 'rejected');
      if (failed) throw failed.reason;
      const parts = settled.map((s) => (s as PromiseFulfilledResult<{ partNumber: number; etag: string }>).value);
      await this.uploads.completeMultipart(key, uploadId, parts);
    } catch (err) {
      await this.uploads.abortMultipart(key, uploadId);
      if (!UNSUPPORTED.has(errorName(err))) throw err;
      this.partCopies = false;
      return false;
    }
    this.partCopies = true;
    return true;
  }
}
