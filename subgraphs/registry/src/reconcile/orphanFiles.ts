/**
 * ORPHAN_FILES: files under an owner prefix no registry row points to: the run
 * is gone or deleted, or its experiment deleted, the dataset or model version is gone (or
 * lives under another parent), or the dataset version FAILED (its commit's
 * compensation should have removed them). Left alone: files newer than the
 * grace period (an upload or a copy may be on its way to a row) and owners a
 * saga is working on. Repair: everything under the owner's prefix deleted.
 *
 * Candidates are found page by page during the scan (one query per owner kind
 * per page) and read again after the active sagas were read: a saga that
 * ended in between has made its row by then.
 */
import { ARTIFACTS_INTERNAL, type DeleteFilesResult, type FileOwnerRef, type FileOwnerSummary } from '@lab/shared/internal';
import type { RegistryStore } from '../store/registryStore';
import type { ActiveWork } from './activeWork';
import { type CheckContext, chunks, LOOKUP_BATCH, repairFinding } from './check';
import { ownerKey } from './inventory';
import { age, describeFiles, type Finding } from './report';

/** Why an owner's files are orphans, or undefined when a live row owns them; with the run's experiment when known. */
interface Verdict {
  reason: string | undefined;
  experimentOfRun?: string;
}

const ENTITY_TYPE: Record<FileOwnerRef['kind'], string> = {
  RUN: 'Run',
  DATASET_VERSION: 'DatasetVersion',
  MODEL_VERSION: 'ModelVersion',
};

const PARENT: Record<FileOwnerRef['kind'], string> = { RUN: 'experiment', DATASET_VERSION: 'dataset', MODEL_VERSION: 'model' };

function ofKind(owners: readonly FileOwnerSummary[], kind: FileOwnerRef['kind']): FileOwnerSummary[] {
  return owners.filter((o) => o.kind === kind);
}

async function runVerdicts(store: RegistryStore, owners: FileOwnerSummary[], out: Map<string, Verdict>): Promise<void> {
  if (owners.length === 0) return;
  const runs = await store.experiments.storedRuns(owners.map((o) => o.id));
  for (const owner of owners) {
    const run = runs.get(owner.id.toLowerCase());
    let reason: string | undefined;
    if (!run) reason = 'the run is gone';
    else if (run.experimentDeleted) reason = `the run's experiment ${run.experimentId} is deleted`;
    else if (run.runDeleted) reason = 'the run is deleted';
    else if (run.experimentId !== owner.parentId.toLowerCase()) reason = `the run belongs to experiment ${run.experimentId}`;
    out.set(ownerKey(owner), { reason, ...(run ? { experimentOfRun: run.experimentId } : {}) });
  }
}

async function datasetVersionVerdicts(
  store: RegistryStore,
  owners: FileOwnerSummary[],
  out: Map<string, Verdict>,
): Promise<void> {
  if (owners.length === 0) return;
  const versions = await store.datasets.versionsByIds(owners.map((o) => o.id));
  owners.forEach((owner, i) => {
    const version = versions[i];
    let reason: string | undefined;
    if (!version) reason = 'the dataset version is gone';
    else if (version.datasetId !== owner.parentId.toLowerCase()) reason = `the version belongs to dataset ${version.datasetId}`;
    else if (version.status === 'FAILED') reason = 'the dataset version FAILED (its compensation should have removed them)';
    out.set(ownerKey(owner), { reason });
  });
}

async function modelVersionVerdicts(store: RegistryStore, owners: FileOwnerSummary[], out: Map<string, Verdict>): Promise<void> {
  if (owners.length === 0) return;
  const versions = await store.models.versionsByIds(owners.map((o) => o.id));
  owners.forEach((owner, i) => {
    const version = versions[i];
    let reason: string | undefined;
    if (!version) reason = 'the model version is gone';
    else if (version.modelId !== owner.parentId.toLowerCase()) reason = `the version belongs to model ${version.modelId}`;
    out.set(ownerKey(owner), { reason });
  });
}

/** The verdict on each owner: one query per owner kind per batch of LOOKUP_BATCH. */
export async function orphanVerdicts(store: RegistryStore, owners: readonly FileOwnerSummary[]): Promise<Map<string, Verdict>> {
  const out = new Map<string, Verdict>();
  for (const batch of chunks(owners, LOOKUP_BATCH)) {
    await runVerdicts(store, ofKind(batch, 'RUN'), out);
    await datasetVersionVerdicts(store, ofKind(batch, 'DATASET_VERSION'), out);
    await modelVersionVerdicts(store, ofKind(batch, 'MODEL_VERSION'), out);
  }
  return out;
}

/** Collects, page by page, the owners that have no live row (the scan's `onPage`). */
export class OrphanCandidates {
  readonly keys = new Set<string>();

  constructor(private readonly store: RegistryStore) {}

  readonly onPage = async (owners: FileOwnerSummary[]): Promise<void> => {
    for (const [key, verdict] of await orphanVerdicts(this.store, owners)) if (verdict.reason) this.keys.add(key);
  };
}

function ownerRef(owner: FileOwnerSummary): FileOwnerRef {
  return { kind: owner.kind, id: owner.id, parentId: owner.parentId };
}

/** The findings: candidates past the grace period, still orphans when read again, not worked on by a saga. */
export async function orphanFiles(
  ctx: CheckContext,
  owners: ReadonlyMap<string, FileOwnerSummary>,
  candidates: OrphanCandidates,
  active: ActiveWork,
): Promise<Finding[]> {
  const nowMs = ctx.startedAt.getTime();
  const aged = [...candidates.keys]
    .map((key) => owners.get(key))
    .filter((o): o is FileOwnerSummary => o !== undefined && o.newestModifiedMs < nowMs - ctx.graceMs);
  const verdicts = await orphanVerdicts(ctx.store, aged);
  const findings: Finding[] = [];
  for (const owner of aged) {
    const verdict = verdicts.get(ownerKey(owner));
    if (!verdict?.reason || active.covers(owner, verdict.experimentOfRun)) continue;
    const finding: Finding = {
      kind: 'ORPHAN_FILES',
      entityType: ENTITY_TYPE[owner.kind],
      entityId: owner.id,
      detail: `${describeFiles(owner.count, owner.totalBytes)} (newest ${age(owner.newestModifiedMs, nowMs)} old) filed under ${PARENT[owner.kind]} ${owner.parentId}: ${verdict.reason}`,
      repaired: false,
    };
    findings.push(
      await repairFinding(ctx, finding, async () => {
        const done = await ctx.services.artifacts<DeleteFilesResult>(ARTIFACTS_INTERNAL.delete, { scope: ownerRef(owner) });
        return `deleted ${done.deleted} objects${done.abortedUploads > 0 ? ` and aborted ${done.abortedUploads} uploads` : ''}`;
      }),
    );
  }
  return findings;
}
