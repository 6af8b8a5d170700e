/**
 * deleteRun: one run and everything of it, across the three stores.
 *
 *   (start)        the row marked deleted, in the mutation's transaction: from
 *                  then on the run is gone for readers, writers and access
 *                  checks (so no new metric or file arrives)
 *   deleteMetrics  metrics deletes the run's points in ClickHouse (live streams
 *                  on it end with NOT_FOUND)
 *   deleteFiles    artifacts deletes everything under the run's outputs in S3
 *   purge          the row and its lineage deleted in PostgreSQL (model
 *                  versions it produced keep existing, without a sourceRun)
 *
 * It only goes forward, like deleteExperiment: a failing step is retried until
 * it succeeds; the reconciler reports one that stays stuck.
 */
import { ARTIFACTS_INTERNAL, type DeleteFilesResult, type DeleteMetricsResult, METRICS_INTERNAL } from '@lab/shared/internal';
import type { RunToDelete } from '../store/runsStore';
import type { NewSaga } from '../store/sagasStore';
import type { SagaDefinition } from './saga';

export const RUN_DELETE = 'run.delete';

export interface RunDeleteInput {
  runId: string;
  experimentId: string;
  projectId: string;
  name: string;
}

export interface RunDeleteState {
  deletedPoints: number;
  deletedFiles: number;
  abortedUploads: number;
}

export const runDelete: SagaDefinition<RunDeleteInput, RunDeleteState> = {
  kind: RUN_DELETE,
  steps: [
    {
      name: 'deleteMetrics',
      async run({ input, services }) {
        const done = await services.metrics<DeleteMetricsResult>(
          METRICS_INTERNAL.delete,
          { runIds: [input.runId] },
          { timeoutMs: 10 * 60_000 },
        );
        return { deletedPoints: done.deleted };
      },
    },
    {
      name: 'deleteFiles',
      async run({ input, services }) {
        const done = await services.artifacts<DeleteFilesResult>(
          ARTIFACTS_INTERNAL.delete,
          { scope: { kind: 'RUN', id: input.runId, parentId: input.experimentId } },
          { timeoutMs: 10 * 60_000 },
        );
        return { deletedFiles: done.deleted, abortedUploads: done.abortedUploads };
      },
    },
    {
      name: 'purge',
      async run({ input, store }) {
        await store.runs.purgeRun(input.runId);
        return undefined;
      },
    },
  ],
  compensation: [],
};

/** The saga a deleteRun starts (in the transaction that marks the row deleted). */
export function runDeleteSaga(run: RunToDelete): NewSaga {
  const input: RunDeleteInput = { runId: run.id, experimentId: run.experimentId, projectId: run.projectId, name: run.name };
  return {
    kind: RUN_DELETE,
    step: 'deleteMetrics',
    input,
    activeKey: `${RUN_DELETE}:${run.id}`,
    entityType: 'Run',
    entityId: run.id,
    projectId: run.projectId,
  };
}
