/**
 * The steps every deletion saga takes, in order, for what it deletes: its
 * points in ClickHouse (deleteMetrics), its files in S3 (deleteFiles), then
 * its rows in PostgreSQL (purge). deleteExperiment and deleteRun differ only
 * in the scope each step is given.
 */
import {
  ARTIFACTS_INTERNAL,
  type DeleteFilesResult,
  type DeleteMetricsResult,
  type FilesScope,
  METRICS_INTERNAL,
} from '@lab/shared/internal';
import type { RegistryStore } from '../store/registryStore';
import type { SagaStep } from './saga';

/** What a deletion saga records as it goes. */
export interface DeletionState {
  deletedPoints: number;
  deletedFiles: number;
  abortedUploads: number;
}

export interface DeletionScopes<I> {
  /** The body of the metrics delete route: `{ experimentId }` or `{ runIds }`. */
  metrics(input: I): Record<string, unknown>;
  /** The artifacts' delete scope. */
  files(input: I): FilesScope;
  /** Deletes the rows, last. */
  purge(input: I, store: RegistryStore): Promise<unknown>;
}

/** A deletion can take long (a large experiment's points and files): each call may run this long. */
const DELETE_TIMEOUT_MS = 10 * 60_000;

export function deletionSteps<I>(scopes: DeletionScopes<I>): SagaStep<I, DeletionState>[] {
  return [
    {
      name: 'deleteMetrics',
      async run({ input, services }) {
        const done = await services.metrics<DeleteMetricsResult>(METRICS_INTERNAL.delete, scopes.metrics(input), {
          timeoutMs: DELETE_TIMEOUT_MS,
        });
        return { deletedPoints: done.deleted };
      },
    },
    {
      name: 'deleteFiles',
      async run({ input, services }) {
        const done = await services.artifacts<DeleteFilesResult>(
          ARTIFACTS_INTERNAL.delete,
          { scope: scopes.files(input) },
          { timeoutMs: DELETE_TIMEOUT_MS },
        );
        return { deletedFiles: done.deleted, abortedUploads: done.abortedUploads };
      },
    },
    {
      name: 'purge',
      async run({ input, store }) {
        await scopes.purge(input, store);
        return undefined;
      },
    },
  ];
}
