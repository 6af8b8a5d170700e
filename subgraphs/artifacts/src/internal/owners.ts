/**
 * internal/files/owners: the reconciler's scan of the bucket, one page at a
 * time, summed by owner (the layouts of files/owners.ts). Keys outside the layouts
 * are reported (at most MAX_UNKNOWN_KEYS a page), never deleted; pending
 * upload markers and backups are the platform's own and left out.
 */
import {
  type FileOwnerSummary,
  InternalRouteError,
  type ListFileOwnersRequest,
  type ListFileOwnersResult,
} from '@lab/shared/internal';
import { parseKey } from '../files/owners';
import type { ArtifactsStore } from '../store/artifactsStore';
import type { ObjectEntry, ScanPage } from '../store/filesStore';
import { errorName } from '../store/s3Errors';
import { PENDING_PREFIX } from '../store/uploadsStore';
import { DEFAULT_SCAN_LIMIT } from './requests';

/** Unknown keys reported per page. */
export const MAX_UNKNOWN_KEYS = 100;
const PLATFORM_PREFIXES = [PENDING_PREFIX, 'backups/'];

async function scanPage(store: ArtifactsStore, request: ListFileOwnersRequest): Promise<ScanPage> {
  try {
    return await store.files.scan(request.limit ?? DEFAULT_SCAN_LIMIT, request.after);
  } catch (err) {
    if (request.after !== undefined && errorName(err) === 'InvalidArgument') {
      throw new InternalRouteError(
        'BAD_USER_INPUT',
        'after is not a continuation token of this bucket: start the scan again without it',
      );
    }
    throw err;
  }
}

/** Sums the page's objects by owner; the keys that belong to none, up to the cap. */
export function summarize(entries: ObjectEntry[]): Omit<ListFileOwnersResult, 'next'> {
  const owners = new Map<string, FileOwnerSummary>();
  const unknownKeys: string[] = [];
  for (const entry of entries) {
    const parsed = parseKey(entry.key);
    if (!parsed) {
      const platform = PLATFORM_PREFIXES.some((p) => entry.key.startsWith(p));
      if (!platform && unknownKeys.length < MAX_UNKNOWN_KEYS) unknownKeys.push(entry.key);
      continue;
    }
    const { kind, id, parentId } = parsed.owner;
    const ownerKey = `${kind}/${id}`;
    const summary = owners.get(ownerKey) ?? { kind, id, parentId, count: 0, totalBytes: 0, newestModifiedMs: 0 };
    summary.count++;
    summary.totalBytes += entry.size;
    summary.newestModifiedMs = Math.max(summary.newestModifiedMs, entry.lastModified.getTime());
    owners.set(ownerKey, summary);
  }
  return { owners: [...owners.values()], unknownKeys };
}

export async function listFileOwners(store: ArtifactsStore, request: ListFileOwnersRequest): Promise<ListFileOwnersResult> {
  const page = await scanPage(store, request);
  return { ...summarize(page.entries), next: page.next ?? null };
}
