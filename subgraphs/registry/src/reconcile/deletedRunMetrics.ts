/**
 * METRICS_OF_DELETED_RUN: metric points of runs the registry no longer has,
 * or of runs marked deleted (themselves or their experiment) while no
 * run.delete or experiment.delete saga runs on them (one that runs deletes
 * them itself). Candidates are found page by page of
 * the metrics inventory (one query per page); the active sagas are read after
 * the scan. Repair: METRICS_INTERNAL.delete of the runs, 10,000 at a time.
 */
import { publicReason } from '@lab/shared';
import { type DeleteMetricsResult, METRICS_INTERNAL } from '@lab/shared/internal';
import type { RegistryStore } from '../store/registryStore';
import type { ActiveWork } from './activeWork';
import { type CheckContext, chunks } from './check';
import type { MetricRun } from './inventory';
import type { Finding } from './report';

/** Most runs one METRICS_INTERNAL.delete takes. */
export const DELETE_RUNS_BATCH = 10_000;

interface Candidate {
  run: MetricRun;
  /** The deleted experiment the run still belongs to; absent when the run is gone. */
  deletedExperiment?: string;
  /** The run is marked deleted itself. */
  deletedRun?: boolean;
}

/** Collects, page by page, the runs with points that are gone or in a deleted experiment (the scan's `onPage`). */
export class DeletedRunCandidates {
  readonly found: Candidate[] = [];

  constructor(private readonly store: RegistryStore) {}

  readonly onPage = async (runs: MetricRun[]): Promise<void> => {
    const stored = await this.store.experiments.storedRuns(runs.map((r) => r.runId));
    for (const run of runs) {
      const row = stored.get(run.runId.toLowerCase());
      if (!row) this.found.push({ run });
      else if (row.experimentDeleted) this.found.push({ run, deletedExperiment: row.experimentId });
      else if (row.runDeleted) this.found.push({ run, deletedRun: true });
    }
  };
}

function describe(candidate: Candidate): string {
  const { run } = candidate;
  const points = `${run.points} points (the last at ${new Date(run.lastTimestampMs).toISOString()})`;
  if (candidate.deletedExperiment) {
    return `${points} of a run of experiment ${candidate.deletedExperiment}, deleted with no operation deleting its metrics`;
  }
  if (candidate.deletedRun) return `${points} of a run deleted with no operation deleting its metrics`;
  return `${points} of a run the registry no longer has (experiment ${run.experimentId})`;
}

/** Deletes the findings' points in batches; a failed batch leaves its findings unrepaired with the reason. */
async function repairAll(ctx: CheckContext, findings: Finding[]): Promise<Finding[]> {
  const out: Finding[] = [];
  for (const batch of chunks(findings, DELETE_RUNS_BATCH)) {
    try {
      const done = await ctx.services.metrics<DeleteMetricsResult>(
        METRICS_INTERNAL.delete,
        { runIds: batch.map((f) => f.entityId) },
        { timeoutMs: 10 * 60_000 },
      );
      ctx.log.info({ runs: batch.length, deleted: done.deleted }, 'reconciler deleted the metric points of deleted runs');
      out.push(...batch.map((f) => ({ ...f, detail: `${f.detail}; points deleted`, repaired: true })));
    } catch (err) {
      const reason = publicReason(err, 'an unexpected failure (see the registry log)');
      ctx.log.warn({ err, runs: batch.length }, 'reconciler could not delete the metric points of deleted runs');
      out.push(...batch.map((f) => ({ ...f, detail: `${f.detail}; repair failed: ${reason}` })));
    }
  }
  return out;
}

export async function deletedRunMetrics(
  ctx: CheckContext,
  candidates: DeletedRunCandidates,
  active: ActiveWork,
): Promise<Finding[]> {
  const findings: Finding[] = candidates.found
    .filter((c) => !c.deletedExperiment || !active.deletingExperiments.has(c.deletedExperiment))
    .filter((c) => !c.deletedRun || !active.deletingRuns.has(c.run.runId.toLowerCase()))
    .map((c) => ({
      kind: 'METRICS_OF_DELETED_RUN',
      entityType: 'Run',
      entityId: c.run.runId,
      detail: describe(c),
      repaired: false,
    }));
  return ctx.repair ? repairAll(ctx, findings) : findings;
}
