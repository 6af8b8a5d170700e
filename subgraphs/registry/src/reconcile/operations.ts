/**
 * The registry's own unfinished work:
 *  - STUCK_OPERATION: an active saga not advanced for `stuckAfterMs` (no
 *    orchestrator claimed it, or it waits on a far retry). Repair: made due
 *    now (SagasStore.retryNow); the orchestrator of a running registry resumes it.
 *  - PENDING_DATASET_VERSION: a PENDING dataset version older than the grace
 *    period that no commit saga works on. Repair: its commit saga started
 *    (sagas/datasetVersionCommit.ts): its files are verified and it becomes
 *    READY, or FAILED with its files removed.
 */
import { datasetVersionCommitSaga } from '../sagas/datasetVersionCommit';
import type { AbandonedVersion } from '../store/datasetsStore';
import type { Saga } from '../store/sagasStore';
import { type CheckContext, NotRepaired, repairFinding } from './check';
import { age, type Finding } from './report';

function stuckDetail(saga: Saga, nowMs: number): string {
  const tries = saga.attempts > 0 ? `, ${saga.attempts} failed tries` : '';
  const error = saga.error ? `; last error: ${saga.error.slice(0, 300)}` : '';
  return `${saga.kind} of ${saga.entityType} ${saga.entityId}, ${saga.status} at step ${saga.step}, not advanced for ${age(saga.updatedAt.getTime(), nowMs)}${tries}${error}`;
}

export async function stuckOperations(ctx: CheckContext, stuckAfterMs: number): Promise<Finding[]> {
  const nowMs = ctx.startedAt.getTime();
  const findings: Finding[] = [];
  for (const saga of await ctx.store.sagas.stuck(stuckAfterMs)) {
    const finding: Finding = {
      kind: 'STUCK_OPERATION',
      entityType: 'Operation',
      entityId: saga.id,
      detail: stuckDetail(saga, nowMs),
      repaired: false,
    };
    findings.push(
      await repairFinding(ctx, finding, async () => {
        if ((await ctx.store.sagas.retryNow([saga.id])) === 0) throw new NotRepaired('it ended, or a live orchestrator holds it');
        return 'made due now: the orchestrator resumes it';
      }),
    );
  }
  return findings;
}

function pendingDetail(version: AbandonedVersion, nowMs: number): string {
  return `dataset version ${version.label} of dataset ${version.datasetId}, PENDING for ${age(version.createdAt.getTime(), nowMs)} with no commit running`;
}

export async function pendingDatasetVersions(ctx: CheckContext): Promise<Finding[]> {
  const nowMs = ctx.startedAt.getTime();
  const findings: Finding[] = [];
  for (const version of await ctx.store.datasets.abandonedPendingVersions(new Date(nowMs - ctx.graceMs))) {
    const finding: Finding = {
      kind: 'PENDING_DATASET_VERSION',
      entityType: 'DatasetVersion',
      entityId: version.id,
      detail: pendingDetail(version, nowMs),
      repaired: false,
    };
    findings.push(
      await repairFinding(ctx, finding, async () => {
        const saga = await ctx.store.datasets.commitVersion(version.id, (v) => datasetVersionCommitSaga(v, version.projectId));
        if (!saga) throw new NotRepaired('the version is gone');
        return `commit started (operation ${saga.id})`;
      }),
    );
  }
  return findings;
}
