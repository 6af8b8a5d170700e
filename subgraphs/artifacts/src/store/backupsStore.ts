/**
 * Backups in the bucket, under backups/postgresql/{date}/ (DESIGN.md): streamed
 * up in 16 MiB multipart parts (memory stays flat whatever the size), listed
 * newest first, and streamed back down.
 */
import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import type { S3Handle } from './handle';

export const BACKUP_PREFIX = 'backups/postgresql/';
const PART_BYTES = 16 * 1024 * 1024;

export interface StoredBackup {
  key: string;
  size: number;
  lastModified: Date;
}

/** backups/postgresql/2026-11-25/lab-2026-11-25T17-03-04-123Z.ndjson.gz */
export function backupKey(database: string, at: Date = new Date()): string {
  const stamp = at.toISOString().replace(/[:.]/g, '-');
  return `${BACKUP_PREFIX}${at.toISOString().slice(0, 10)}/${database}-${stamp}.ndjson.gz`;
}

export class BackupsStore {
  constructor(private readonly h: S3Handle) {}

  /** Uploads a stream of unknown length as one object; aborts the upload on failure. */
  async write(key: string, body: Readable, contentType = 'application/gzip'): Promise<{ size: number }> {
    const { UploadId } = await this.h.s3.send(
      new CreateMultipartUploadCommand({ Bucket: this.h.bucket, Key: key, ContentType: contentType }),
    );
    const parts: { PartNumber: number; ETag: string | undefined }[] = [];
    let size = 0;
    const send = async (chunk: Buffer) => {
      const PartNumber = parts.length + 1;
      const out = await this.h.s3.send(
        new UploadPartCommand({
          Bucket: this.h.bucket,
          Key: key,
          UploadId,
          PartNumber,
          Body: chunk,
          ContentLength: chunk.length,
        }),
      );
      parts.push({ PartNumber, ETag: out.ETag });
      size += chunk.length;
    };
    try {
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      for await (const chunk of body) {
        pending.push(chunk as Buffer);
        pendingBytes += (chunk as Buffer).length;
        if (pendingBytes >= PART_BYTES) {
          await send(Buffer.concat(pending));
          pending = [];
          pendingBytes = 0;
        }
      }
      if (pendingBytes > 0 || parts.length === 0) await send(Buffer.concat(pending));
      await this.h.s3.send(
        new CompleteMultipartUploadCommand({ Bucket: this.h.bucket, Key: key, UploadId, MultipartUpload: { Parts: parts } }),
      );
      return { size };
    } catch (err) {
      await this.h.s3.send(new AbortMultipartUploadCommand({ Bucket: this.h.bucket, Key: key, UploadId })).catch(() => {});
      throw err;
    }
  }

  /** Every backup, newest first. */
  async list(): Promise<StoredBackup[]> {
    const found: StoredBackup[] = [];
    let token: string | undefined;
    do {
      const out = await this.h.s3.send(
        new ListObjectsV2Command({
          Bucket: this.h.bucket,
          Prefix: BACKUP_PREFIX,
          ...(token ? { ContinuationToken: token } : {}),
        }),
      );
      for (const o of out.Contents ?? [])
        found.push({ key: o.Key as string, size: o.Size ?? 0, lastModified: o.LastModified ?? new Date(0) });
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
    return found.sort((a, b) => (a.key < b.key ? 1 : a.key > b.key ? -1 : 0));
  }

  async read(key: string): Promise<Readable> {
    const out = await this.h.s3.send(new GetObjectCommand({ Bucket: this.h.bucket, Key: key }));
    return out.Body as Readable;
  }
}
