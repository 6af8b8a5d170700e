/**
 * internal/files/inspect: what an owner holds, file by file, with sizes and
 * checksums; the registry compares it with what it recorded.
 */
import {
  type FileOwnerRef,
  type InspectedFile,
  type InspectFilesRequest,
  type InspectFilesResult,
  InternalRouteError,
} from '@lab/shared/internal';
import { ownerLabel, prefixOf } from '../files/owners';
import type { ArtifactsStore } from '../store/artifactsStore';
import type { ObjectEntry } from '../store/filesStore';
import { createLimit } from '../store/limit';

/** Most files one inspect or copy covers. */
export const MAX_FILES = 10_000;
/** Objects read whole at once to compute a checksum (each holds a connection for its whole read). */
export const CHECKSUM_READS = 4;

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Every current object under the owner's prefix, in key order; BAD_USER_INPUT past MAX_FILES. */
export async function ownerFiles(store: ArtifactsStore, owner: FileOwnerRef): Promise<ObjectEntry[]> {
  const page = await store.files.list(prefixOf(owner), MAX_FILES);
  if (page.hasMore) {
    throw new InternalRouteError(
      'BAD_USER_INPUT',
      `the ${ownerLabel(owner)} has more than ${MAX_FILES.toLocaleString('en')} files, more than inspect and copy take at once`,
    );
  }
  return page.entries;
}

/** The SHA-256 completeUpload recorded in the object's metadata, when it is one. */
function recordedSha256(sha256: string | undefined): string | undefined {
  return sha256 !== undefined && SHA256_HEX.test(sha256) ? sha256 : undefined;
}

export async function inspectFiles(store: ArtifactsStore, request: InspectFilesRequest): Promise<InspectFilesResult> {
  const prefix = prefixOf(request.owner);
  const entries = await ownerFiles(store, request.owner);
  const reads = createLimit(CHECKSUM_READS);
  const inspected = await Promise.all(
    entries.map(async (entry): Promise<InspectedFile | undefined> => {
      const head = await store.files.head(entry.key, entry.versionId);
      if (!head) return undefined; // deleted since it was listed
      let sha256 = recordedSha256(head.sha256);
      if (sha256 === undefined && request.checksums) sha256 = await reads(() => store.files.sha256(head.key, head.versionId));
      return {
        name: entry.key.slice(prefix.length),
        key: entry.key,
        sizeBytes: head.size,
        checksum: sha256 ? `sha256:${sha256}` : null,
        lastModifiedMs: head.lastModified.getTime(),
      };
    }),
  );
  const files = inspected.filter((f): f is InspectedFile => f !== undefined);
  return { files, count: files.length, totalBytes: files.reduce((sum, f) => sum + f.sizeBytes, 0) };
}
