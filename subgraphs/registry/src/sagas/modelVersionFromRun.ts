/**
 * createModelVersionFromRun: a new model version made of a run's outputs.
 *
 *   (start)      the version's id chosen, in the mutation's transaction
 *   copyFiles    artifacts copies the outputs (all, or the names asked) from
 *                experiments/{e}/runs/{run}/outputs/ to models/{m}/artifacts/{version id}/
 *   createVersion  the version row under that id, with the next number, linked
 *                to its source run
 * compensation (the run has no such outputs, the model or run is gone):
 *   removeFiles  whatever was copied under the version's prefix deleted
 *
 * The row comes last, so a version is never visible without its files.
 */
import { ARTIFACTS_INTERNAL, type CopyFilesResult, type DeleteFilesResult } from '@lab/shared/internal';
import type { NewSaga } from '../store/sagasStore';
import { PermanentStepError, type SagaDefinition } from './saga';

export const MODEL_VERSION_FROM_RUN = 'model-version.from-run';

export interface ModelVersionFromRunInput {
  versionId: string;
  modelId: string;
  runId: string;
  experimentId: string;
  /** File names or prefixes ("dir/") under the run's outputs; all when absent. */
  names: string[] | null;
  description: string;
  tags: Record<string, string>;
  metadata: Record<string, unknown>;
  createdById: string;
}

export interface ModelVersionFromRunState {
  copiedFiles: number;
  copiedBytes: number;
  version: number;
  removedFiles: number;
}

function owners(input: ModelVersionFromRunInput) {
  return {
    from: { kind: 'RUN' as const, id: input.runId, parentId: input.experimentId },
    to: { kind: 'MODEL_VERSION' as const, id: input.versionId, parentId: input.modelId },
  };
}

export const modelVersionFromRun: SagaDefinition<ModelVersionFromRunInput, ModelVersionFromRunState> = {
  kind: MODEL_VERSION_FROM_RUN,
  steps: [
    {
      name: 'copyFiles',
      async run({ input, services }) {
        const copied = await services.artifacts<CopyFilesResult>(
          ARTIFACTS_INTERNAL.copy,
          { ...owners(input), ...(input.names ? { names: input.names } : {}) },
          { timeoutMs: 60 * 60_000 },
        );
        return { copiedFiles: copied.count, copiedBytes: copied.totalBytes };
      },
    },
    {
      name: 'createVersion',
      async run({ input, state, store }) {
        const [run] = await store.experiments.runsByIds([input.runId]);
        if (!run) throw new PermanentStepError(`run ${input.runId} was deleted before the version was created`);
        const version = await store.models.createVersion({
          id: input.versionId,
          modelId: input.modelId,
          description: input.description,
          sourceRunId: input.runId,
          tags: input.tags,
          metadata: { ...input.metadata, sourceFiles: state.copiedFiles ?? 0 },
          createdById: input.createdById,
        });
        if (!version) throw new PermanentStepError(`model ${input.modelId} is gone`);
        return { version: version.version };
      },
    },
  ],
  compensation: [
    {
      name: 'removeFiles',
      async run({ input, services }) {
        const removed = await services.artifacts<DeleteFilesResult>(ARTIFACTS_INTERNAL.delete, { scope: owners(input).to });
        return { removedFiles: removed.deleted };
      },
    },
  ],
};

/** The saga a createModelVersionFromRun starts. */
export function modelVersionFromRunSaga(
  input: ModelVersionFromRunInput,
  projectId: string,
): NewSaga & { input: ModelVersionFromRunInput } {
  return {
    kind: MODEL_VERSION_FROM_RUN,
    step: 'copyFiles',
    input,
    entityType: 'Model',
    entityId: input.modelId,
    projectId,
  };
}
