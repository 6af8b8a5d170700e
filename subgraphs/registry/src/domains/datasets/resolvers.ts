/** Datasets: creating, labelled versions (PENDING until committed or finished), and the Dataset and DatasetVersion types. */
import { labError } from '@lab/shared';
import { decodeCursor, encodeCursor, type PageArgs, pageSize, sortValueOf } from '../../common/pagination';
import { writing } from '../../common/prismaErrors';
import type { RegistryResolvers } from '../../common/resolvers';
import { checkId, checkJsonObject, checkKey } from '../../common/validation';
import type { RegistryContext } from '../../context';
import { datasetVersionCommitSaga } from '../../sagas/datasetVersionCommit';
import type { Dataset, DatasetVersion } from '../../store/datasetsStore';
import { type CatalogListArgs, catalogConnection } from '../catalog/catalog';
import { type CatalogEntityInput, createInProject, readableEntity, readableVersion, requireEntity } from '../catalog/entities';
import { runOperation } from '../operations/resolvers';
import { checkChecksum, checkCount, checkFormat } from './validation';

interface CreateDatasetInput extends CatalogEntityInput {
  metadata?: unknown;
}

interface CreateDatasetVersionInput {
  datasetId: string;
  label: string;
  format: string;
  sizeBytes?: unknown;
  rowCount?: unknown;
  checksum?: string | null;
  schema?: unknown;
  metadata?: unknown;
}

interface UpdateStatusArgs {
  id: string;
  status: 'PENDING' | 'READY' | 'FAILED';
  sizeBytes?: unknown;
  rowCount?: unknown;
  checksum?: string | null;
}

function readableDataset(ctx: RegistryContext, id: string): Promise<Dataset | null> {
  return readableEntity(ctx, id, (datasetId) => ctx.loaders.datasets.load(datasetId));
}

function requireDataset(ctx: RegistryContext, rawId: string, role: 'VIEWER' | 'EDITOR'): Promise<Dataset> {
  return requireEntity(ctx, 'dataset', rawId, role, (id) => ctx.loaders.datasets.load(id));
}

function readableDatasetVersion(ctx: RegistryContext, id: string): Promise<DatasetVersion | null> {
  return readableVersion(
    ctx,
    id,
    (versionId) => ctx.loaders.datasetVersions.load(versionId),
    (version) => ctx.loaders.datasets.load(version.datasetId),
  );
}

/** A version the caller may change (EDITOR in its project), with its dataset; NOT_FOUND otherwise. */
async function writableVersion(ctx: RegistryContext, id: string): Promise<{ version: DatasetVersion; dataset: Dataset }> {
  const version = await ctx.loaders.datasetVersions.load(id);
  const dataset = version ? await ctx.loaders.datasets.load(version.datasetId) : null;
  if (!version || !dataset) throw labError('NOT_FOUND', `dataset version ${id} not found`);
  await ctx.access.require(dataset.projectId, 'EDITOR', `dataset version ${id}`);
  return { version, dataset };
}

export const datasetsResolvers: RegistryResolvers = {
  Query: {
    dataset: (_p: unknown, args: { id: string }, ctx: RegistryContext) => requireDataset(ctx, args.id, 'VIEWER'),
    datasets: (_p: unknown, args: CatalogListArgs, ctx: RegistryContext) =>
      catalogConnection(
        ctx,
        args,
        (filter, page) => ctx.store.datasets.datasets.list(filter, page),
        (filter) => ctx.store.datasets.datasets.count(filter),
      ),
    datasetVersion: async (_p: unknown, args: { id: string }, ctx: RegistryContext) => {
      const id = checkId('dataset version', args.id);
      const version = await readableDatasetVersion(ctx, id);
      if (!version) throw labError('NOT_FOUND', `dataset version ${id} not found`);
      return version;
    },
  },

  Mutation: {
    createDataset: async (_p: unknown, { input }: { input: CreateDatasetInput }, ctx: RegistryContext) => {
      const dataset = await createInProject(
        ctx,
        input,
        { label: 'dataset', doing: 'create datasets' },
        () => ({ metadata: checkJsonObject('metadata', input.metadata) }),
        (fields) => ctx.store.datasets.createDataset(fields),
      );
      ctx.loaders.datasets.prime(dataset.id, dataset);
      return dataset;
    },

    createDatasetVersion: async (_p: unknown, { input }: { input: CreateDatasetVersionInput }, ctx: RegistryContext) => {
      const label = checkKey('label', input.label);
      const format = checkFormat('format', input.format);
      const sizeBytes = checkCount('sizeBytes', input.sizeBytes);
      const rowCount = checkCount('rowCount', input.rowCount);
      const checksum = checkChecksum('checksum', input.checksum);
      const schema = checkJsonObject('schema', input.schema);
      const metadata = checkJsonObject('metadata', input.metadata);
      const dataset = await requireDataset(ctx, input.datasetId, 'EDITOR');
      const createdById = ctx.access.requireUser('create dataset versions');
      const version = await writing(`version "${label}" of dataset ${dataset.id}`, () =>
        ctx.store.datasets.createVersion({
          datasetId: dataset.id,
          label,
          format,
          sizeBytes,
          rowCount,
          checksum,
          schema,
          metadata,
          createdById,
        }),
      );
      ctx.loaders.datasetVersions.prime(version.id, version);
      return version;
    },

    commitDatasetVersion: async (_p: unknown, args: { id: string }, ctx: RegistryContext) => {
      const id = checkId('dataset version', args.id);
      const { dataset } = await writableVersion(ctx, id);
      const saga = await ctx.store.datasets.commitVersion(id, (version) => datasetVersionCommitSaga(version, dataset.projectId));
      if (!saga) throw labError('NOT_FOUND', `dataset version ${id} not found`);
      const now = await runOperation(ctx, saga);
      ctx.loaders.datasetVersions.clear(id);
      return now;
    },

    updateDatasetVersionStatus: async (_p: unknown, args: UpdateStatusArgs, ctx: RegistryContext) => {
      if (args.status !== 'READY' && args.status !== 'FAILED') {
        throw labError('BAD_USER_INPUT', 'status must be READY or FAILED (a version is only ever moved out of PENDING)', {
          field: 'status',
        });
      }
      const sizeBytes = checkCount('sizeBytes', args.sizeBytes);
      const rowCount = checkCount('rowCount', args.rowCount);
      const checksum = checkChecksum('checksum', args.checksum);
      const id = checkId('dataset version', args.id);
      await writableVersion(ctx, id);
      const updated = await ctx.store.datasets.finishVersion(id, { status: args.status, sizeBytes, rowCount, checksum });
      ctx.loaders.datasetVersions.clear(id);
      if (!updated) {
        const now = await ctx.loaders.datasetVersions.load(id);
        if (!now) throw labError('NOT_FOUND', `dataset version ${id} not found`);
        throw labError('CONFLICT', `dataset version ${id} is ${now.status}: only a PENDING version can become READY or FAILED`);
      }
      ctx.loaders.datasetVersions.prime(id, updated);
      return updated;
    },
  },

  Dataset: {
    __resolveReference: (ref: { id: string }, ctx: RegistryContext) => readableDataset(ctx, ref.id),
    versions: async (dataset: Dataset, args: PageArgs, ctx: RegistryContext) => {
      const first = pageSize(args.first);
      decodeCursor(args.after); // a bad cursor fails here, not in the batch
      const rows = await ctx.loaders.datasetVersionPages.load({
        datasetId: dataset.id,
        limit: first + 1,
        after: args.after ?? null,
      });
      const edges = rows
        .slice(0, first)
        .map((node) => ({ node, cursor: encodeCursor({ v: sortValueOf(node.createdAt), id: node.id }) }));
      return {
        edges,
        pageInfo: {
          hasNextPage: rows.length > first,
          hasPreviousPage: Boolean(args.after),
          startCursor: edges[0]?.cursor ?? null,
          endCursor: edges.at(-1)?.cursor ?? null,
        },
        totalCount: () => ctx.loaders.datasetVersionCounts.load(dataset.id),
      };
    },
    version: (dataset: Dataset, args: { label: string }, ctx: RegistryContext) =>
      ctx.loaders.datasetVersionsByLabel.load({ datasetId: dataset.id, label: args.label }),
    createdBy: (dataset: Dataset, _a: unknown, ctx: RegistryContext) => ctx.loaders.users.load(dataset.createdById),
    project: (dataset: Dataset, _a: unknown, ctx: RegistryContext) => ctx.loaders.projects.load(dataset.projectId),
  },

  DatasetVersion: {
    __resolveReference: (ref: { id: string }, ctx: RegistryContext) => readableDatasetVersion(ctx, ref.id),
    dataset: (version: DatasetVersion, _a: unknown, ctx: RegistryContext) => ctx.loaders.datasets.load(version.datasetId),
    createdBy: (version: DatasetVersion, _a: unknown, ctx: RegistryContext) => ctx.loaders.users.load(version.createdById),
  },
};
