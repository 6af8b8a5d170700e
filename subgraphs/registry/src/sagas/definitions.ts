/** Every saga the registry runs, by kind. */
import { datasetVersionCommit } from './datasetVersionCommit';
import { experimentDelete } from './experimentDelete';
import { modelVersionFromRun } from './modelVersionFromRun';
import { runDelete } from './runDelete';
import type { SagaDefinition } from './saga';

export const SAGA_DEFINITIONS = [
  datasetVersionCommit,
  experimentDelete,
  modelVersionFromRun,
  runDelete,
] as unknown as SagaDefinition<unknown, unknown>[];
