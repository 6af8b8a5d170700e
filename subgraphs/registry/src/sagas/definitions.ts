/** Every saga the registry runs, by kind. */
import { datasetVersionCommit } from './datasetVersionCommit';
import { experimentDelete } from './experimentDelete';
import { modelVersionFromRun } from './modelVersionFromRun';
import type { SagaDefinition } from './saga';

export const SAGA_DEFINITIONS = [datasetVersionCommit, experimentDelete, modelVersionFromRun] as unknown as SagaDefinition<
  unknown,
  unknown
>[];
