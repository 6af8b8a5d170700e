/**
 * deleteExperiment: an experiment and everything of it, across the three stores.
 *
 *   (start)        the row marked deleted, in the mutation's transaction: from
 *                  then on the experiment and its runs are gone for readers,
 *                  writers and access checks (so no new metric or file arrives)
 *   deleteMetrics  metrics deletes every point of the experiment in ClickHouse
 *   deleteFiles    artifacts deletes everything under experiments/{id}/ in S3
 *   purge          the row, its runs and their lineage deleted in PostgreSQL
 *
 * It only goes forward: once marked deleted, nothing is restored. A failing
 * step is retried until it succeeds; the reconciler reports one that stays stuck.
 */
import type { Experiment } from '../store/experimentsStore';
import type { NewSaga } from '../store/sagasStore';
import { type DeletionState, deletionSteps } from './deletionSteps';
import type { SagaDefinition } from './saga';

export const EXPERIMENT_DELETE = 'experiment.delete';

export interface ExperimentDeleteInput {
  experimentId: string;
  projectId: string;
  name: string;
}

export type ExperimentDeleteState = DeletionState;

export const experimentDelete: SagaDefinition<ExperimentDeleteInput, ExperimentDeleteState> = {
  kind: EXPERIMENT_DELETE,
  steps: deletionSteps<ExperimentDeleteInput>({
    metrics: (input) => ({ experimentId: input.experimentId }),
    files: (input) => ({ kind: 'EXPERIMENT', id: input.experimentId }),
    purge: (input, store) => store.experiments.purgeExperiment(input.experimentId),
  }),
  compensation: [],
};

/** The saga a deleteExperiment starts (in the transaction that marks the row deleted). */
export function experimentDeleteSaga(experiment: Experiment): NewSaga {
  const input: ExperimentDeleteInput = { experimentId: experiment.id, projectId: experiment.projectId, name: experiment.name };
  return {
    kind: EXPERIMENT_DELETE,
    step: 'deleteMetrics',
    input,
    activeKey: `${EXPERIMENT_DELETE}:${experiment.id}`,
    entityType: 'Experiment',
    entityId: experiment.id,
    projectId: experiment.projectId,
  };
}
