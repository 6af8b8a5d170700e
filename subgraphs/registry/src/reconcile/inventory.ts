/**
 * The other stores' inventories, read a page at a time through their internal
 * routes: the bucket summed by file owner (ARTIFACTS_INTERNAL.owners) and the
 * runs having metric points (METRICS_INTERNAL.runs).
 */
import {
  ARTIFACTS_INTERNAL,
  type FileOwnerSummary,
  type ListFileOwnersResult,
  type ListMetricRunsResult,
  METRICS_INTERNAL,
} from '@lab/shared/internal';
import type { StoreServices } from '../sagas/storeServices';

export type MetricRun = ListMetricRunsResult['runs'][number];

/** The key an owner is merged by across pages. */
export function ownerKey(owner: Pick<FileOwnerSummary, 'kind' | 'id'>): string {
  return `${owner.kind}/${owner.id.toLowerCase()}`;
}

export interface FileInventory {
  /** Every owner with its files summed over all pages, by ownerKey. */
  owners: Map<string, FileOwnerSummary>;
  unknownKeys: number;
}

/**
 * Scans the whole bucket. `onPage` receives the owners first seen in each page
 * (an owner spanning pages is passed once), so lookups go one batch per page.
 */
export async function scanFileOwners(
  services: StoreServices,
  onPage: (owners: FileOwnerSummary[]) => Promise<void>,
  pageLimit?: number,
): Promise<FileInventory> {
  const owners = new Map<string, FileOwnerSummary>();
  let unknownKeys = 0;
  let after: string | undefined;
  for (;;) {
    const page = await services.artifacts<ListFileOwnersResult>(ARTIFACTS_INTERNAL.owners, {
      ...(after ? { after } : {}),
      ...(pageLimit ? { limit: pageLimit } : {}),
    });
    unknownKeys += page.unknownKeys.length;
    const fresh: FileOwnerSummary[] = [];
    for (const owner of page.owners) {
      const key = ownerKey(owner);
      const seen = owners.get(key);
      if (seen) {
        seen.count += owner.count;
        seen.totalBytes += owner.totalBytes;
        seen.newestModifiedMs = Math.max(seen.newestModifiedMs, owner.newestModifiedMs);
      } else {
        const copy = { ...owner };
        owners.set(key, copy);
        fresh.push(copy);
      }
    }
    if (fresh.length > 0) await onPage(fresh);
    if (!page.next) return { owners, unknownKeys };
    if (page.next === after) throw new Error(`${ARTIFACTS_INTERNAL.owners} answered the same continuation twice`);
    after = page.next;
  }
}

/** Scans every run having metric points; `onPage` receives each page. Answers how many runs there were. */
export async function scanMetricRuns(
  services: StoreServices,
  onPage: (runs: MetricRun[]) => Promise<void>,
  pageLimit?: number,
): Promise<number> {
  let total = 0;
  let after: string | undefined;
  for (;;) {
    const page = await services.metrics<ListMetricRunsResult>(METRICS_INTERNAL.runs, {
      ...(after ? { after } : {}),
      ...(pageLimit ? { limit: pageLimit } : {}),
    });
    total += page.runs.length;
    if (page.runs.length > 0) await onPage(page.runs);
    if (!page.next) return total;
    if (page.next === after) throw new Error(`${METRICS_INTERNAL.runs} answered the same continuation twice`);
    after = page.next;
  }
}
