/**
 * MISSING_FILES: rows whose files are not in S3.
 *  - READY dataset versions with no file, or files whose total size is not the
 *    version's size_bytes. Repair: the version marked FAILED (audited as the
 *    system), as a failed commit would have left it.
 *  - Model versions made of a run's files (metadata.sourceFiles > 0) with no
 *    file. Reported only: a model version is never changed by the reconciler.
 * Rows changed after the run started are left for the next run (the scan may
 * have passed their prefix before their files arrived), and every candidate
 * is confirmed with an inspect of its prefix before it is reported.
 */
import { ARTIFACTS_INTERNAL, type FileOwnerRef, type FileOwnerSummary, type InspectFilesResult } from '@lab/shared/internal';
import type { DatasetVersion } from '../store/datasetsStore';
import type { ModelVersion } from '../store/modelsStore';
import type { ActiveWork } from './activeWork';
import { type CheckContext, findInPages, LOOKUP_BATCH, NotRepaired, repairFinding } from './check';
import { ownerKey } from './inventory';
import type { Finding, Scanned } from './report';

/** What is wrong with a READY version's files, or undefined when they match it. */
function datasetProblem(version: DatasetVersion, files: { count: number; totalBytes: number } | undefined): string | undefined {
  if (!files || files.count === 0) return 'READY but no file is in S3';
  if (version.sizeBytes !== null && BigInt(files.totalBytes) !== version.sizeBytes) {
    return `READY with ${version.sizeBytes} bytes recorded, but its ${files.count} files in S3 hold ${files.totalBytes}`;
  }
  return undefined;
}

function inspect(ctx: CheckContext, owner: FileOwnerRef): Promise<InspectFilesResult> {
  return ctx.services.artifacts<InspectFilesResult>(ARTIFACTS_INTERNAL.inspect, { owner });
}

async function datasetVersionFinding(ctx: CheckContext, version: DatasetVersion): Promise<Finding | undefined> {
  const problem = datasetProblem(
    version,
    await inspect(ctx, { kind: 'DATASET_VERSION', id: version.id, parentId: version.datasetId }),
  );
  if (!problem) return undefined;
  const finding: Finding = {
    kind: 'MISSING_FILES',
    entityType: 'DatasetVersion',
    entityId: version.id,
    detail: `dataset version ${version.label} of dataset ${version.datasetId}: ${problem}`,
    repaired: false,
  };
  return repairFinding(ctx, finding, async () => {
    if (!(await ctx.store.datasets.failReadyVersion(version.id, problem)))
      throw new NotRepaired('the version is no longer READY');
    return 'marked FAILED';
  });
}

/**
 * The findings over every page of versions `page` reads (LOOKUP_BATCH at a time, changed before the run
 * started), each counted in `scanned[counter]`; versions a saga is still making (`busy`) are left alone.
 */
function versionFindings<V extends { id: string }>(
  page: (after: string | undefined) => Promise<V[]>,
  scanned: Scanned,
  counter: 'datasetVersions' | 'modelVersions',
  busy: ReadonlySet<string>,
  find: (version: V) => Promise<Finding | undefined>,
): Promise<Finding[]> {
  return findInPages(
    async (after) => {
      const rows = await page(after);
      scanned[counter] += rows.length;
      return rows;
    },
    (version) => (busy.has(version.id) ? Promise.resolve(undefined) : find(version)),
  );
}

function sourceFiles(version: ModelVersion): number {
  return Number((version.metadata as { sourceFiles?: unknown }).sourceFiles ?? 0);
}

async function modelVersionFinding(ctx: CheckContext, version: ModelVersion): Promise<Finding | undefined> {
  const found = await inspect(ctx, { kind: 'MODEL_VERSION', id: version.id, parentId: version.modelId });
  if (found.count > 0) return undefined;
  const from = version.sourceRunId ? ` of run ${version.sourceRunId}` : '';
  return {
    kind: 'MISSING_FILES',
    entityType: 'ModelVersion',
    entityId: version.id,
    detail: `version ${version.version} of model ${version.modelId}, made of ${sourceFiles(version)} files${from}: none is in S3 (reported only: the reconciler never changes a model version)`,
    repaired: false,
  };
}

export async function missingFiles(
  ctx: CheckContext,
  owners: ReadonlyMap<string, FileOwnerSummary>,
  active: ActiveWork,
  scanned: Scanned,
): Promise<Finding[]> {
  const readyDatasetVersions = (after: string | undefined) =>
    ctx.store.datasets.readyVersionsPage(after, LOOKUP_BATCH, ctx.startedAt);
  const datasetFiles = (version: DatasetVersion) => owners.get(ownerKey({ kind: 'DATASET_VERSION', id: version.id }));
  const versionsFromRuns = (after: string | undefined) =>
    ctx.store.models.versionsWithSourceFilesPage(after, LOOKUP_BATCH, ctx.startedAt);
  return [
    ...(await versionFindings(readyDatasetVersions, scanned, 'datasetVersions', active.committingDatasetVersions, (v) =>
      datasetProblem(v, datasetFiles(v)) ? datasetVersionFinding(ctx, v) : Promise.resolve(undefined),
    )),
    ...(await versionFindings(versionsFromRuns, scanned, 'modelVersions', active.makingModelVersions, (v) =>
      owners.has(ownerKey({ kind: 'MODEL_VERSION', id: v.id })) ? Promise.resolve(undefined) : modelVersionFinding(ctx, v),
    )),
  ];
}
