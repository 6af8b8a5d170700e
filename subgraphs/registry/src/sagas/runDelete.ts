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
import type { RunToDelete } from '../store/runsStore';
import type { NewSaga } from '../store/sagasStore';
import { type DeletionState, deletionSteps } from './deletionSteps';
import type { SagaDefinition } from './saga';

export const RUN_DELETE = 'run.delete';

export interface RunDeleteInput {
  runId: string;
  experimentId: string;
  projectId: string;
  name: string;
}

export type RunDeleteState = DeletionState;

export const runDelete: SagaDefinition<RunDeleteInput, RunDeleteState> = {
  kind: RUN_DELETE,
  steps: deletionSteps<RunDeleteInput>({
    metrics: (input) => ({ runIds: [input.runId] }),
    files: (input) => ({ kind: 'RUN', id: input.runId, parentId: input.experimentId }),
    purge: (input, store) => store.runs.purgeRun(input.runId),
  }),
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
