/**
 * The reconciler: finds what a fault could leave behind across the three
 * stores, reports it and, when asked, repairs it (docs/operations/reconciliation.md).
 *
 *   1. the bucket scanned by owner (artifacts), each page's owners looked up
 *      in PostgreSQL in one query per owner kind
 *   2. the runs having metric points scanned (metrics), one lookup per page
 *   3. the active sagas read: what they work on is left alone
 *   4. the checks: ORPHAN_FILES, MISSING_FILES, METRICS_OF_DELETED_RUN,
 *      STUCK_OPERATION, PENDING_DATASET_VERSION (one file each), each
 *      repairing its findings when `repair` is set
 *
 * Every repair is idempotent, so two reconcilers at once, or one beside a
 * saga, do no harm. A store that cannot be read fails the whole run (the
 * report would be wrong); a repair that fails leaves its finding unrepaired.
 */
import type { Logger } from '@lab/shared';
import type { StoreServices } from '../sagas/storeServices';
import type { RegistryStore } from '../store/registryStore';
import { ActiveWork } from './activeWork';
import type { CheckContext } from './check';
import { DeletedRunCandidates, deletedRunMetrics } from './deletedRunMetrics';
import { scanFileOwners, scanMetricRuns } from './inventory';
import { missingFiles } from './missingFiles';
import { pendingDatasetVersions, stuckOperations } from './operations';
import { OrphanCandidates, orphanFiles } from './orphanFiles';
import { emptyScan, type ReconciliationReport } from './report';

export const DEFAULT_STUCK_AFTER_MS = 15 * 60_000;

export interface ReconcileOptions {
  /** The registry store; repairs are audited as its actor (the system). */
  store: RegistryStore;
  /** The artifacts and metrics internal routes. */
  services: StoreServices;
  /** How old an orphan's newest file, or a PENDING version, must be before it is reported. */
  graceMs: number;
  /** How long an active saga may go without advancing before it is stuck (default 15 min). */
  stuckAfterMs?: number;
  repair: boolean;
  log: Logger;
  /** Objects (artifacts) and runs (metrics) per page of the scans (default: the services' own). */
  pageLimit?: number;
}

export async function reconcile(options: ReconcileOptions): Promise<ReconciliationReport> {
  const { store, services, log } = options;
  const ctx: CheckContext = { store, services, repair: options.repair, graceMs: options.graceMs, startedAt: new Date(), log };
  const scanned = emptyScan();

  const orphans = new OrphanCandidates(store);
  const files = await scanFileOwners(services, orphans.onPage, options.pageLimit);
  scanned.fileOwners = files.owners.size;
  scanned.unknownKeys = files.unknownKeys;
  if (files.unknownKeys > 0) log.warn({ unknownKeys: files.unknownKeys }, 'the bucket holds keys outside the owner layouts');

  const deletedRuns = new DeletedRunCandidates(store);
  scanned.metricRuns = await scanMetricRuns(services, deletedRuns.onPage, options.pageLimit);

  const active = new ActiveWork(await store.sagas.active());
  scanned.activeOperations = active.sagas.length;

  const findings = [
    ...(await orphanFiles(ctx, files.owners, orphans, active)),
    ...(await missingFiles(ctx, files.owners, active, scanned)),
    ...(await deletedRunMetrics(ctx, deletedRuns, active)),
    ...(await stuckOperations(ctx, options.stuckAfterMs ?? DEFAULT_STUCK_AFTER_MS)),
    ...(await pendingDatasetVersions(ctx)),
  ];
  return {
    startedAt: ctx.startedAt,
    finishedAt: new Date(),
    repair: options.repair,
    graceMs: options.graceMs,
    findings,
    scanned,
  };
}
