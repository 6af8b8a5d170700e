/**
 * Deleting everything under a prefix: every object and, where the bucket
 * keeps versions, every version and delete marker (ListObjectVersions), in
 * DeleteObjects batches of 1,000. Servers without ListObjectVersions (s3rver
 * answers MethodNotAllowed) are listed with ListObjectsV2 instead; the store
 * remembers which after the first try.
 */
import { DeleteObjectsCommand, ListObjectsV2Command, ListObjectVersionsCommand, type ObjectIdentifier } from '@aws-sdk/client-s3';
import type { S3Handle } from './handle';
import { errorName } from './s3Errors';

/** The most keys one DeleteObjects takes. */
export const DELETE_BATCH = 1000;

const UNSUPPORTED = new Set(['NotImplemented', 'MethodNotAllowed']);

export class PurgeStore {
  /** Whether the server lists versions; undefined until the first purge asked. */
  private versionListing: boolean | undefined;

  constructor(private readonly h: S3Handle) {}

  /**
   * Deletes every object (every version) under `prefix`, a batch at a time
   * until none is left; answers how many this call deleted (0 when the prefix
   * was already empty).
   */
  async deleteUnder(prefix: string): Promise<number> {
    let deleted = 0;
    for (;;) {
      const batch = await this.firstBatch(prefix);
      if (batch.length === 0) return deleted;
      deleted += await this.deleteBatch(batch);
    }
  }

  /** Up to 1,000 objects (versions and delete markers where listed) under the prefix. */
  private async firstBatch(prefix: string): Promise<ObjectIdentifier[]> {
    if (this.versionListing !== false) {
      try {
        const out = await this.h.limit(() =>
          this.h.s3.send(new ListObjectVersionsCommand({ Bucket: this.h.bucket, Prefix: prefix, MaxKeys: DELETE_BATCH })),
        );
        this.versionListing = true;
        return [...(out.Versions ?? []), ...(out.DeleteMarkers ?? [])].map((v) => ({
          Key: v.Key as string,
          ...(v.VersionId ? { VersionId: v.VersionId } : {}),
        }));
      } catch (err) {
        if (this.versionListing || !UNSUPPORTED.has(errorName(err))) throw err;
        this.versionListing = false;
      }
    }
    const out = await this.h.limit(() =>
      this.h.s3.send(new ListObjectsV2Command({ Bucket: this.h.bucket, Prefix: prefix, MaxKeys: DELETE_BATCH })),
    );
    return (out.Contents ?? []).map((o) => ({ Key: o.Key as string }));
  }

  /** One DeleteObjects; throws when the server refused any of them (so the purge never loops on them). */
  private async deleteBatch(batch: ObjectIdentifier[]): Promise<number> {
    const out = await this.h.limit(() =>
      this.h.s3.send(new DeleteObjectsCommand({ Bucket: this.h.bucket, Delete: { Objects: batch, Quiet: true } })),
    );
    const refused = out.Errors ?? [];
    if (refused.length > 0) {
      const first = refused[0];
      throw new Error(
        `DeleteObjects refused ${refused.length} of ${batch.length} objects, first ${first?.Key}: ${first?.Code} ${first?.Message ?? ''}`.trim(),
      );
    }
    return batch.length;
  }
}
