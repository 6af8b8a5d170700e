/**
 * commitDatasetVersion: a PENDING dataset version becomes READY only once its
 * files are verified in S3.
 *
 *   inspect   artifacts lists the version's files with their SHA-256 (computed
 *             where completeUpload did not verify one); none, or a total size
 *             or checksum other than the version declared, fails for good
 *   ready     the row: READY with the size and checksum found
 * compensation (a failed verification):
 *   removeFiles  every object under the version's prefix deleted
 *   markFailed   the row: FAILED
 *
 * The version's checksum is its one file's SHA-256, or for several files the
 * SHA-256 of the manifest "<sha256:hex> <name>\n" per file, by name.
 */
import { createHash } from 'node:crypto';
import { ARTIFACTS_INTERNAL, type DeleteFilesResult, type FileOwnerRef, type InspectFilesResult } from '@lab/shared/internal';
import type { DatasetVersion } from '../store/datasetsStore';
import type { NewSaga } from '../store/sagasStore';
import { PermanentStepError, type SagaDefinition } from './saga';

export const DATASET_VERSION_COMMIT = 'dataset-version.commit';

export interface DatasetVersionCommitInput {
  datasetVersionId: string;
  datasetId: string;
  /** What the version declared at creation, checked against the files. */
  declaredSizeBytes: string | null;
  declaredChecksum: string | null;
}

export interface DatasetVersionCommitState {
  sizeBytes: string;
  checksum: string;
  fileCount: number;
  removedFiles: number;
}

/** A version's checksum from its files (one file: its own). */
export function versionChecksum(files: readonly { name: string; checksum: string | null }[]): string {
  if (files.length === 1 && files[0]?.checksum) return files[0].checksum;
  const manifest = [...files]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((f) => `${f.checksum} ${f.name}\n`)
    .join('');
  return `sha256:${createHash('sha256').update(manifest).digest('hex')}`;
}

function ownerOf(input: DatasetVersionCommitInput): FileOwnerRef {
  return { kind: 'DATASET_VERSION', id: input.datasetVersionId, parentId: input.datasetId };
}

export const datasetVersionCommit: SagaDefinition<DatasetVersionCommitInput, DatasetVersionCommitState> = {
  kind: DATASET_VERSION_COMMIT,
  steps: [
    {
      name: 'inspect',
      async run({ input, services }) {
        const found = await services.artifacts<InspectFilesResult>(
          ARTIFACTS_INTERNAL.inspect,
          { owner: ownerOf(input), checksums: true },
          { timeoutMs: 30 * 60_000 },
        );
        if (found.count === 0) throw new PermanentStepError('no file was uploaded to the version');
        if (found.files.some((f) => !f.checksum)) throw new PermanentStepError('a file of the version has no checksum');
        const sizeBytes = String(found.totalBytes);
        const checksum = versionChecksum(found.files);
        if (input.declaredSizeBytes !== null && input.declaredSizeBytes !== sizeBytes) {
          throw new PermanentStepError(`the files hold ${sizeBytes} bytes; the version declared ${input.declaredSizeBytes}`);
        }
        if (input.declaredChecksum !== null && input.declaredChecksum !== checksum) {
          throw new PermanentStepError(`the files' checksum is ${checksum}; the version declared ${input.declaredChecksum}`);
        }
        return { sizeBytes, checksum, fileCount: found.count };
      },
    },
    {
      name: 'ready',
      async run({ input, state, store }) {
        if (!state.sizeBytes || !state.checksum) throw new Error('the inspect step recorded no size or checksum');
        const done = await store.datasets.finishVersion(input.datasetVersionId, {
          status: 'READY',
          sizeBytes: BigInt(state.sizeBytes),
          checksum: state.checksum,
        });
        if (done) return undefined;
        // Not PENDING any more: READY is this step run before (idempotent); FAILED or gone is final.
        const [row] = await store.datasets.versionsByIds([input.datasetVersionId]);
        if (row?.status === 'READY') return undefined;
        throw new PermanentStepError(`dataset version ${input.datasetVersionId} is ${row?.status ?? 'gone'}, not PENDING`);
      },
    },
  ],
  compensation: [
    {
      name: 'removeFiles',
      async run({ input, services }) {
        const removed = await services.artifacts<DeleteFilesResult>(ARTIFACTS_INTERNAL.delete, { scope: ownerOf(input) });
        return { removedFiles: removed.deleted };
      },
    },
    {
      name: 'markFailed',
      async run({ input, store }) {
        // Null when not PENDING: already FAILED (this step run before), or gone with its dataset.
        await store.datasets.finishVersion(input.datasetVersionId, { status: 'FAILED' });
        return undefined;
      },
    },
  ],
};

/** The saga a commitDatasetVersion starts. */
export function datasetVersionCommitSaga(version: DatasetVersion, projectId: string): NewSaga {
  const input: DatasetVersionCommitInput = {
    datasetVersionId: version.id,
    datasetId: version.datasetId,
    declaredSizeBytes: version.sizeBytes === null ? null : version.sizeBytes.toString(),
    declaredChecksum: version.checksum,
  };
  return {
    kind: DATASET_VERSION_COMMIT,
    step: 'inspect',
    input,
    activeKey: `${DATASET_VERSION_COMMIT}:${version.id}`,
    entityType: 'DatasetVersion',
    entityId: version.id,
    projectId,
  };
}
