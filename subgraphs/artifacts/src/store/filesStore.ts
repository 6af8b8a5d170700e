/**
 * Reading what is in the bucket: listings under an owner's prefix (with the
 * current version ids where the server versions objects), HEAD, a streaming
 * SHA-256 of an object, deletes, and presigned GETs.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import {
  type _Object,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { contentDisposition } from '../files/names';
import { META_SHA256, META_UPLOADED_BY, type S3Handle } from './handle';
import { errorName, httpStatus } from './s3Errors';

export interface ObjectEntry {
  key: string;
  versionId?: string | undefined;
  size: number;
  etag: string;
  lastModified: Date;
}

export interface ObjectHead extends ObjectEntry {
  contentType: string | undefined;
  /** Lowercase hex SHA-256 the uploader declared (and completeUpload verified). */
  sha256: string | undefined;
  uploadedBy: string | undefined;
  /** Every x-amz-meta-* value, as stored (a copy carries them over). */
  metadata: Record<string, string>;
}

export interface ListPage {
  entries: ObjectEntry[];
  hasMore: boolean;
}

export interface ScanPage {
  entries: ObjectEntry[];
  /** Continuation token of the next page; undefined after the last one. */
  next: string | undefined;
}

const unquote = (etag: string | undefined) => (etag ?? '').replace(/^"|"$/g, '');

const entryOf = (o: _Object): ObjectEntry => ({
  key: o.Key as string,
  size: o.Size ?? 0,
  etag: unquote(o.ETag),
  lastModified: o.LastModified ?? new Date(0),
});

export class FilesStore {
  constructor(private readonly h: S3Handle) {}

  /** Up to `max` current objects under `prefix` after key `startAfter`, in key order. */
  list(prefix: string, max: number, startAfter?: string): Promise<ListPage> {
    return this.h.limit(() =>
      this.h.capabilities.versioning ? this.listVersions(prefix, max, startAfter) : this.listPlain(prefix, max, startAfter),
    );
  }

  private async listPlain(prefix: string, max: number, startAfter?: string): Promise<ListPage> {
    const entries: ObjectEntry[] = [];
    let token: string | undefined;
    do {
      const out = await this.h.s3.send(
        new ListObjectsV2Command({
          Bucket: this.h.bucket,
          Prefix: prefix,
          MaxKeys: Math.min(1000, max + 1 - entries.length),
          ...(token ? { ContinuationToken: token } : startAfter ? { StartAfter: startAfter } : {}),
        }),
      );
      for (const o of out.Contents ?? []) entries.push(entryOf(o));
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token && entries.length <= max);
    return { entries: entries.slice(0, max), hasMore: entries.length > max || token !== undefined };
  }

  /** With versioning: the latest version of each key that is not deleted. */
  private async listVersions(prefix: string, max: number, startAfter?: string): Promise<ListPage> {
    const entries: ObjectEntry[] = [];
    let keyMarker = startAfter;
    let versionMarker: string | undefined;
    for (;;) {
      const out = await this.h.s3.send(
        new ListObjectVersionsCommand({
          Bucket: this.h.bucket,
          Prefix: prefix,
          MaxKeys: 1000,
          ...(keyMarker ? { KeyMarker: keyMarker } : {}),
          ...(versionMarker ? { VersionIdMarker: versionMarker } : {}),
        }),
      );
      for (const v of out.Versions ?? []) {
        if (!v.IsLatest) continue;
        entries.push({
          key: v.Key as string,
          versionId: v.VersionId && v.VersionId !== 'null' ? v.VersionId : undefined,
          size: v.Size ?? 0,
          etag: unquote(v.ETag),
          lastModified: v.LastModified ?? new Date(0),
        });
      }
      if (entries.length > max || !out.IsTruncated) break;
      keyMarker = out.NextKeyMarker;
      versionMarker = out.NextVersionIdMarker;
    }
    entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return { entries: entries.slice(0, max), hasMore: entries.length > max };
  }

  /**
   * One page of a scan of the whole bucket, in key order: `max` current
   * objects from the continuation token of the previous page (1,000 per call).
   */
  async scan(max: number, token?: string): Promise<ScanPage> {
    const entries: ObjectEntry[] = [];
    let next = token;
    do {
      const out = await this.h.limit(() =>
        this.h.s3.send(
          new ListObjectsV2Command({
            Bucket: this.h.bucket,
            MaxKeys: Math.min(1000, max - entries.length),
            ...(next ? { ContinuationToken: next } : {}),
          }),
        ),
      );
      for (const o of out.Contents ?? []) entries.push(entryOf(o));
      next = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (next && entries.length < max);
    return { entries, next };
  }

  /** Objects under a prefix (all pages). */
  async count(prefix: string): Promise<number> {
    let total = 0;
    let after: string | undefined;
    for (;;) {
      const page = await this.list(prefix, 1000, after);
      total += page.entries.length;
      if (!page.hasMore) return total;
      after = page.entries.at(-1)?.key;
    }
  }

  /** HEAD of an object (of one version when given); undefined when there is none. */
  head(key: string, versionId?: string): Promise<ObjectHead | undefined> {
    return this.h.limit(async () => {
      try {
        const out = await this.h.s3.send(
          new HeadObjectCommand({ Bucket: this.h.bucket, Key: key, ...(versionId ? { VersionId: versionId } : {}) }),
        );
        return {
          key,
          versionId: out.VersionId && out.VersionId !== 'null' ? out.VersionId : undefined,
          size: out.ContentLength ?? 0,
          etag: unquote(out.ETag),
          lastModified: out.LastModified ?? new Date(0),
          contentType: out.ContentType,
          sha256: out.Metadata?.[META_SHA256],
          uploadedBy: out.Metadata?.[META_UPLOADED_BY],
          metadata: out.Metadata ?? {},
        };
      } catch (err) {
        if (httpStatus(err) === 404 || errorName(err) === 'NotFound' || errorName(err) === 'NoSuchKey') return undefined;
        throw err;
      }
    });
  }

  /** SHA-256 (hex) of an object's bytes, streamed: memory stays flat whatever the size. */
  async sha256(key: string, versionId?: string): Promise<string> {
    const out = await this.h.s3.send(
      new GetObjectCommand({ Bucket: this.h.bucket, Key: key, ...(versionId ? { VersionId: versionId } : {}) }),
    );
    const hash = createHash('sha256');
    for await (const chunk of out.Body as Readable) hash.update(chunk as Buffer);
    return hash.digest('hex');
  }

  /** Deletes an object, or with versioning the one version (so the previous one is current again). */
  async delete(key: string, versionId?: string): Promise<void> {
    await this.h.s3.send(
      new DeleteObjectCommand({ Bucket: this.h.bucket, Key: key, ...(versionId ? { VersionId: versionId } : {}) }),
    );
  }

  /** A presigned GET that downloads under the file's name. */
  downloadUrl(key: string, name: string, expiresIn: number, versionId?: string): Promise<string> {
    return getSignedUrl(
      this.h.presigner,
      new GetObjectCommand({
        Bucket: this.h.bucket,
        Key: key,
        ...(versionId ? { VersionId: versionId } : {}),
        ResponseContentDisposition: contentDisposition(name),
      }),
      { expiresIn },
    );
  }
}
