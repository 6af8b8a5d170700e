/**
 * Uploads straight from clients to S3: presigned PUTs, multipart uploads with
 * presigned part URLs, completion and abort, the sweep of abandoned ones, and
 * the abort of every upload under a prefix whose files are being deleted.
 *
 * Every multipart upload the platform starts leaves a small marker object at
 * uploads/pending/{upload id} until it is completed or aborted: the sweep
 * aborts those older than a day. This works on servers without
 * ListMultipartUploads (s3rver); where the server has it, the sweep also
 * aborts old uploads it finds there (started by anything).
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { META_SHA256, META_UPLOADED_BY, type S3Handle } from './handle';
import { describeError, errorName, httpStatus } from './s3Errors';

export const PENDING_PREFIX = 'uploads/pending/';
export const SWEEP_AGE_MS = 24 * 60 * 60 * 1000;

export interface NewObject {
  key: string;
  size: number;
  contentType: string;
  sha256?: string | undefined;
  uploadedBy: string;
}

export interface SweepResult {
  /** Multipart uploads aborted. */
  aborted: number;
  /** Whether the server's own list of uploads was searched too (not on s3rver). */
  serverListed: boolean;
}

interface PendingMarker {
  markerKey: string;
  uploadId: string;
  startedMs: number;
}

interface ServerUpload {
  key: string;
  uploadId: string;
  initiatedMs: number | undefined;
}

const metadata = (o: NewObject) => ({
  [META_UPLOADED_BY]: o.uploadedBy,
  ...(o.sha256 ? { [META_SHA256]: o.sha256 } : {}),
});

const markerKey = (uploadId: string) => `${PENDING_PREFIX}${Buffer.from(uploadId, 'utf8').toString('base64url')}`;

const UNSUPPORTED = new Set(['MethodNotAllowed', 'NotImplemented']);

const isMissing = (err: unknown) => httpStatus(err) === 404 || ['NoSuchUpload', 'NotFound', 'NoSuchKey'].includes(errorName(err));

export class UploadsStore {
  constructor(private readonly h: S3Handle) {}

  /** One presigned PUT; content-length and content-type are signed (S3 refuses other values). */
  putUrl(o: NewObject, expiresIn: number): Promise<string> {
    return getSignedUrl(
      this.h.presigner,
      new PutObjectCommand({
        Bucket: this.h.bucket,
        Key: o.key,
        ContentLength: o.size,
        ContentType: o.contentType,
        Metadata: metadata(o),
      }),
      { expiresIn },
    );
  }

  /** Starts a multipart upload and leaves its marker; answers the S3 upload id. */
  startMultipart(o: NewObject): Promise<string> {
    return this.begin(o.key, o.size, o.contentType, metadata(o));
  }

  /** Starts a multipart upload that receives a copy (UploadPartCopy): the source's content type and metadata, and a marker. */
  startCopy(key: string, size: number, contentType: string | undefined, meta: Record<string, string>): Promise<string> {
    return this.begin(key, size, contentType, meta);
  }

  private async begin(key: string, size: number, contentType: string | undefined, meta: Record<string, string>) {
    const out = await this.h.s3.send(
      new CreateMultipartUploadCommand({ Bucket: this.h.bucket, Key: key, ContentType: contentType, Metadata: meta }),
    );
    const uploadId = out.UploadId as string;
    await this.h.s3.send(
      new PutObjectCommand({
        Bucket: this.h.bucket,
        Key: markerKey(uploadId),
        Body: JSON.stringify({ key, uploadId, size }),
        ContentType: 'application/json',
      }),
    );
    return uploadId;
  }

  partUrl(key: string, uploadId: string, partNumber: number, expiresIn: number): Promise<string> {
    return getSignedUrl(
      this.h.presigner,
      new UploadPartCommand({ Bucket: this.h.bucket, Key: key, UploadId: uploadId, PartNumber: partNumber }),
      { expiresIn },
    );
  }

  /** Whether the platform still considers this multipart upload open (its marker is there). */
  async isOpen(uploadId: string): Promise<boolean> {
    try {
      await this.h.s3.send(new HeadObjectCommand({ Bucket: this.h.bucket, Key: markerKey(uploadId) }));
      return true;
    } catch (err) {
      if (isMissing(err)) return false;
      throw err;
    }
  }

  /** Completes with the parts' ETags; answers the new version id, when the server versions objects. */
  async completeMultipart(
    key: string,
    uploadId: string,
    parts: { partNumber: number; etag: string }[],
  ): Promise<{ versionId: string | undefined }> {
    const out = await this.h.s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: this.h.bucket,
        Key: key,
        UploadId: uploadId,
        MultipartUpload: { Parts: parts.map((p) => ({ PartNumber: p.partNumber, ETag: p.etag })) },
      }),
    );
    await this.dropMarker(uploadId);
    return { versionId: out.VersionId && out.VersionId !== 'null' ? out.VersionId : undefined };
  }

  /**
   * Aborts (an unknown or finished upload is not an error) and drops the marker.
   * s3rver has no AbortMultipartUpload (MethodNotAllowed): there the upload is
   * only forgotten, and its parts stay in the server's folder.
   */
  async abortMultipart(key: string, uploadId: string): Promise<void> {
    try {
      await this.h.s3.send(new AbortMultipartUploadCommand({ Bucket: this.h.bucket, Key: key, UploadId: uploadId }));
    } catch (err) {
      if (!isMissing(err) && !UNSUPPORTED.has(errorName(err))) throw err;
    }
    await this.dropMarker(uploadId);
  }

  private async dropMarker(uploadId: string): Promise<void> {
    await this.h.s3.send(new DeleteObjectCommand({ Bucket: this.h.bucket, Key: markerKey(uploadId) }));
  }

  /** Aborts multipart uploads started before `now - olderThanMs`. */
  async sweep(olderThanMs = SWEEP_AGE_MS, now = Date.now()): Promise<SweepResult> {
    const cutoff = now - olderThanMs;
    let aborted = 0;
    await this.eachMarker(async (marker) => {
      if (marker.startedMs > cutoff) return;
      const key = await this.markerTarget(marker.markerKey);
      if (key) await this.abortMultipart(key, marker.uploadId);
      else await this.dropMarker(marker.uploadId);
      aborted++;
    });
    const serverListed = await this.eachServerUpload(undefined, async (upload) => {
      if ((upload.initiatedMs ?? now) > cutoff) return;
      await this.abortMultipart(upload.key, upload.uploadId);
      aborted++;
    });
    return { aborted, serverListed };
  }

  /**
   * Aborts every multipart upload of a key under `prefix`: those the markers
   * name, and where the server lists its uploads, any other one there.
   * Answers how many were aborted.
   */
  async abortUnder(prefix: string): Promise<number> {
    let aborted = 0;
    await this.eachMarker(async (marker) => {
      const key = await this.markerTarget(marker.markerKey);
      if (!key?.startsWith(prefix)) return;
      await this.abortMultipart(key, marker.uploadId);
      aborted++;
    });
    await this.eachServerUpload(prefix, async (upload) => {
      await this.abortMultipart(upload.key, upload.uploadId);
      aborted++;
    });
    return aborted;
  }

  /** Visits every marker under uploads/pending/, one at a time (a visit may drop its marker). */
  private async eachMarker(visit: (marker: PendingMarker) => Promise<void>): Promise<void> {
    let token: string | undefined;
    do {
      const out = await this.h.s3.send(
        new ListObjectsV2Command({
          Bucket: this.h.bucket,
          Prefix: PENDING_PREFIX,
          ...(token ? { ContinuationToken: token } : {}),
        }),
      );
      for (const o of out.Contents ?? []) {
        const key = o.Key as string;
        const uploadId = Buffer.from(key.slice(PENDING_PREFIX.length), 'base64url').toString('utf8');
        await visit({ markerKey: key, uploadId, startedMs: o.LastModified?.getTime() ?? 0 });
      }
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
  }

  /** The key a marker's upload writes to; undefined when the marker is gone or unreadable. */
  private async markerTarget(markerKey: string): Promise<string | undefined> {
    try {
      const out = await this.h.s3.send(new GetObjectCommand({ Bucket: this.h.bucket, Key: markerKey }));
      const key = (JSON.parse((await out.Body?.transformToString()) ?? '') as { key?: unknown }).key;
      return typeof key === 'string' && key !== '' ? key : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Visits the server's own list of multipart uploads (under `prefix` when
   * given); false when the server has no such list (s3rver answers NotImplemented).
   */
  private async eachServerUpload(prefix: string | undefined, visit: (upload: ServerUpload) => Promise<void>): Promise<boolean> {
    let keyMarker: string | undefined;
    let idMarker: string | undefined;
    try {
      for (;;) {
        const out = await this.h.s3.send(
          new ListMultipartUploadsCommand({
            Bucket: this.h.bucket,
            ...(prefix ? { Prefix: prefix } : {}),
            ...(keyMarker ? { KeyMarker: keyMarker } : {}),
            ...(idMarker ? { UploadIdMarker: idMarker } : {}),
          }),
        );
        for (const u of out.Uploads ?? []) {
          if (u.Key && u.UploadId) await visit({ key: u.Key, uploadId: u.UploadId, initiatedMs: u.Initiated?.getTime() });
        }
        if (!out.IsTruncated) return true;
        keyMarker = out.NextKeyMarker;
        idMarker = out.NextUploadIdMarker;
      }
    } catch (err) {
      if (errorName(err) === 'NotImplemented' && keyMarker === undefined) return false;
      throw new Error(`ListMultipartUploads failed: ${describeError(err)}`, { cause: err });
    }
  }
}
