/**
 * What the sagas are working on right now: the reconciler leaves their files
 * and metrics alone (a deletion removing them, a copy or a commit in progress).
 */
import type { FileOwnerRef } from '@lab/shared/internal';
import { DATASET_VERSION_COMMIT, type DatasetVersionCommitInput } from '../sagas/datasetVersionCommit';
import { EXPERIMENT_DELETE, type ExperimentDeleteInput } from '../sagas/experimentDelete';
import { MODEL_VERSION_FROM_RUN, type ModelVersionFromRunInput } from '../sagas/modelVersionFromRun';
import { RUN_DELETE, type RunDeleteInput } from '../sagas/runDelete';
import type { Saga } from '../store/sagasStore';

export class ActiveWork {
  /** Experiments an experiment.delete saga is deleting. */
  readonly deletingExperiments = new Set<string>();
  /** Runs a run.delete saga is deleting. */
  readonly deletingRuns = new Set<string>();
  /** Model versions a model-version.from-run saga is making (input.versionId). */
  readonly makingModelVersions = new Set<string>();
  /** Dataset versions a dataset-version.commit saga is committing. */
  readonly committingDatasetVersions = new Set<string>();

  constructor(readonly sagas: readonly Saga[]) {
    for (const saga of sagas) {
      const input = saga.input as Record<string, unknown>;
      if (saga.kind === EXPERIMENT_DELETE) add(this.deletingExperiments, (input as Partial<ExperimentDeleteInput>).experimentId);
      if (saga.kind === RUN_DELETE) add(this.deletingRuns, (input as Partial<RunDeleteInput>).runId);
      if (saga.kind === MODEL_VERSION_FROM_RUN)
        add(this.makingModelVersions, (input as Partial<ModelVersionFromRunInput>).versionId);
      if (saga.kind === DATASET_VERSION_COMMIT) {
        add(this.committingDatasetVersions, (input as Partial<DatasetVersionCommitInput>).datasetVersionId);
      }
    }
  }

  /** Whether a saga is working on the owner's files. */
  covers(owner: FileOwnerRef, experimentOfRun?: string): boolean {
    const id = owner.id.toLowerCase();
    switch (owner.kind) {
      case 'RUN':
        return (
          this.deletingRuns.has(id) ||
          this.deletingExperiments.has(owner.parentId.toLowerCase()) ||
          (experimentOfRun !== undefined && this.deletingExperiments.has(experimentOfRun))
        );
      case 'MODEL_VERSION':
        return this.makingModelVersions.has(id);
      case 'DATASET_VERSION':
        return this.committingDatasetVersions.has(id);
    }
  }
}

function add(set: Set<string>, id: unknown): void {
  if (typeof id === 'string') set.add(id.toLowerCase());
}
