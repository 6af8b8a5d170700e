/** Datasets, their labelled versions and lineage reads (which runs read which version) in PostgreSQL. */
import { labError } from '@lab/shared';
import type { Cursor } from '../common/pagination';
import { isUuid } from '../common/validation';
import type { Dataset, DatasetVersion, DatasetVersionStatus } from '../generated/prisma/client';
import { Prisma } from '../generated/prisma/client';
import {
  CatalogRows,
  CatalogStore,
  catalogEntityData,
  type NewCatalogEntity,
  rowsByIds,
  rowsByKeys,
  uuids,
} from './catalogStore';
import { type NewSaga, type Saga, startedSaga, startSaga } from './sagasStore';

export type { Dataset, DatasetVersion, DatasetVersionStatus };

export interface NewDataset extends NewCatalogEntity {
  metadata?: Record<string, unknown>;
}

export interface NewDatasetVersion {
  datasetId: string;
  label: string;
  format: string;
  sizeBytes?: bigint;
  rowCount?: bigint;
  checksum?: string;
  schema?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  createdById: string;
}

export interface DatasetVersionOutcome {
  status: 'READY' | 'FAILED';
  sizeBytes?: bigint;
  rowCount?: bigint;
  checksum?: string;
}

/** A PENDING version nobody commits, with its dataset's project. */
export interface AbandonedVersion {
  id: string;
  datasetId: string;
  label: string;
  projectId: string;
  createdAt: Date;
}

/** A run that read a dataset version (or a version a run read), with the run's project. */
export interface LineageRow {
  runId: string;
  datasetVersionId: string;
  runProjectId: string;
  datasetProjectId: string;
}

export class DatasetsStore extends CatalogStore {
  /** Datasets by ids, list pages and counts. */
  readonly datasets = new CatalogRows<Dataset>(this.prisma, 'datasets', (ids) =>
    this.prisma.dataset.findMany({ where: { id: { in: ids } } }),
  );

  createDataset(input: NewDataset): Promise<Dataset> {
    const event = { action: 'dataset.create', entityType: 'Dataset' };
    return this.createAudited(event, input, (tx) => tx.dataset.create({ data: catalogEntityData(input) }));
  }

  createVersion(input: NewDatasetVersion): Promise<DatasetVersion> {
    return this.withAudit(async (tx, audit) => {
      const version = await tx.datasetVersion.create({
        data: {
          datasetId: input.datasetId,
          label: input.label,
          format: input.format,
          sizeBytes: input.sizeBytes ?? null,
          rowCount: input.rowCount ?? null,
          checksum: input.checksum ?? null,
          schema: (input.schema ?? {}) as Prisma.InputJsonObject,
          metadata: (input.metadata ?? {}) as Prisma.InputJsonObject,
          createdById: input.createdById,
        },
      });
      const { createdById: _by, ...change } = input;
      audit({
        action: 'datasetVersion.create',
        entityType: 'DatasetVersion',
        entityId: version.id,
        projectOf: { kind: 'DATASET', id: input.datasetId },
        change,
      });
      return version;
    });
  }

  /**
   * Moves a PENDING version to READY or FAILED. The status condition is in the
   * UPDATE, so of two racing calls one wins; null when the version is not PENDING.
   */
  async finishVersion(id: string, outcome: DatasetVersionOutcome): Promise<DatasetVersion | null> {
    const data: Prisma.DatasetVersionUpdateManyMutationInput = { status: outcome.status };
    if (outcome.sizeBytes !== undefined) data.sizeBytes = outcome.sizeBytes;
    if (outcome.rowCount !== undefined) data.rowCount = outcome.rowCount;
    if (outcome.checksum !== undefined) data.checksum = outcome.checksum;
    return this.withAudit(async (tx, audit) => {
      const { count } = await tx.datasetVersion.updateMany({ where: { id, status: 'PENDING' }, data });
      if (count === 0) return null;
      audit({
        action: 'datasetVersion.finish',
        entityType: 'DatasetVersion',
        entityId: id,
        projectOf: { kind: 'DATASET_VERSION', id },
        change: { ...outcome },
      });
      return tx.datasetVersion.findUnique({ where: { id } });
    });
  }

  /**
   * Starts the commit saga of a PENDING version (sagas/datasetVersionCommit.ts),
   * or answers the one already running. CONFLICT when the version is READY or
   * FAILED; null when there is no such version.
   */
  commitVersion(id: string, saga: (version: DatasetVersion) => NewSaga): Promise<Saga | null> {
    return this.withAudit(async (tx, audit) => {
      const [locked] = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM dataset_versions WHERE id = ${id}::uuid FOR UPDATE`;
      if (!locked) return null;
      const version = await tx.datasetVersion.findUniqueOrThrow({ where: { id } });
      const started = saga(version);
      const running = started.activeKey ? await startedSaga(tx, started.activeKey) : null;
      if (running) return running;
      if (version.status !== 'PENDING') {
        throw labError('CONFLICT', `dataset version ${id} is ${version.status}: only a PENDING version can be committed`);
      }
      audit({
        action: 'datasetVersion.commit',
        entityType: 'DatasetVersion',
        entityId: id,
        projectId: started.projectId,
        change: { label: version.label },
      });
      return startSaga(tx, this.actor, started);
    });
  }

  /**
   * Marks a READY version FAILED: its files are gone or not what it recorded
   * (the reconciler's repair). False when it is not READY (any more).
   */
  failReadyVersion(id: string, reason: string): Promise<boolean> {
    return this.withAudit(async (tx, audit) => {
      const { count } = await tx.datasetVersion.updateMany({ where: { id, status: 'READY' }, data: { status: 'FAILED' } });
      if (count === 0) return false;
      audit({
        action: 'datasetVersion.fail',
        entityType: 'DatasetVersion',
        entityId: id,
        projectOf: { kind: 'DATASET_VERSION', id },
        change: { status: 'FAILED', fromStatus: 'READY', reason },
      });
      return true;
    });
  }

  /** READY versions after `afterId` in id order, last changed before `changedBefore` (the reconciler's check of their files). */
  readyVersionsPage(afterId: string | undefined, limit: number, changedBefore: Date): Promise<DatasetVersion[]> {
    return this.prisma.datasetVersion.findMany({
      where: { status: 'READY', updatedAt: { lt: changedBefore }, ...(afterId ? { id: { gt: afterId } } : {}) },
      orderBy: { id: 'asc' },
      take: limit,
    });
  }

  /**
   * PENDING versions created before `createdBefore` that no commit saga is
   * working on, oldest first, with their dataset's project (the reconciler).
   */
  abandonedPendingVersions(createdBefore: Date, limit = 1000): Promise<AbandonedVersion[]> {
    // The active key of the commit saga (sagas/datasetVersionCommit.ts).
    return this.prisma.$queryRaw<AbandonedVersion[]>`SELECT dv.id::text AS id, dv.dataset_id::text AS "datasetId",
        dv.label, d.project_id::text AS "projectId", dv.created_at AS "createdAt"
      FROM dataset_versions dv JOIN datasets d ON d.id = dv.dataset_id
      WHERE dv.status = 'PENDING' AND dv.created_at < ${createdBefore}
        AND NOT EXISTS (SELECT 1 FROM sagas s WHERE s.active_key = 'dataset-version.commit:' || dv.id::text)
      ORDER BY dv.created_at LIMIT ${limit}`;
  }

  versionsByIds(ids: readonly string[]): Promise<(DatasetVersion | null)[]> {
    return rowsByIds(ids, (wanted) => this.prisma.datasetVersion.findMany({ where: { id: { in: wanted } } }));
  }

  /** Versions by (dataset id, label), in the order asked. */
  versionsByLabel(keys: readonly { datasetId: string; label: string }[]): Promise<(DatasetVersion | null)[]> {
    return rowsByKeys(keys, {
      valid: (k) => isUuid(k.datasetId),
      find: (valid) =>
        this.prisma.datasetVersion.findMany({
          where: { OR: valid.map((k) => ({ datasetId: k.datasetId.toLowerCase(), label: k.label })) },
        }),
      keyOfRow: (r) => `${r.datasetId}\n${r.label}`,
      keyOf: (k) => `${k.datasetId.toLowerCase()}\n${k.label}`,
    });
  }

  /**
   * One page of versions (newest first) for each of several datasets that share
   * the page arguments: one query for all of them. `limit` is page size + 1.
   */
  async versionPages(datasetIds: readonly string[], cursor: Cursor | undefined, limit: number): Promise<DatasetVersion[][]> {
    const wanted = uuids(datasetIds);
    if (wanted.length === 0 || limit <= 0) return datasetIds.map(() => []);
    const after = cursor
      ? Prisma.sql`AND (created_at, id) < (${toTimestamp(cursor.v)}::timestamptz, ${cursor.id}::uuid)`
      : Prisma.empty;
    const rows = await this.prisma.$queryRaw<{ id: string }[]>`
      SELECT id::text AS id FROM (
        SELECT id, row_number() OVER (PARTITION BY dataset_id ORDER BY created_at DESC, id DESC) AS rn
        FROM dataset_versions
        WHERE dataset_id = ANY(${wanted}::uuid[]) ${after}
      ) page WHERE rn <= ${limit}`;
    const ids = rows.map((r) => r.id);
    const versions =
      ids.length > 0
        ? await this.prisma.datasetVersion.findMany({
            where: { id: { in: ids } },
            orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
          })
        : [];
    return datasetIds.map((id) => versions.filter((v) => v.datasetId === id.toLowerCase()));
  }

  async countVersions(datasetIds: readonly string[]): Promise<number[]> {
    const wanted = uuids(datasetIds);
    const groups =
      wanted.length > 0
        ? await this.prisma.datasetVersion.groupBy({ by: ['datasetId'], where: { datasetId: { in: wanted } }, _count: true })
        : [];
    const byId = new Map(groups.map((g) => [g.datasetId, g._count]));
    return datasetIds.map((id) => byId.get(id.toLowerCase()) ?? 0);
  }

  /** Lineage rows (run_inputs) for runs or for dataset versions, with both sides' projects. */
  async lineage(side: 'run' | 'datasetVersion', ids: readonly string[]): Promise<LineageRow[][]> {
    const wanted = uuids(ids);
    if (wanted.length === 0) return ids.map(() => []);
    const where =
      side === 'run'
        ? Prisma.sql`ri.run_id = ANY(${wanted}::uuid[])`
        : Prisma.sql`ri.dataset_version_id = ANY(${wanted}::uuid[])`;
    const rows = await this.prisma.$queryRaw<
      { run_id: string; dataset_version_id: string; run_project_id: string; dataset_project_id: string }[]
    >`
      SELECT ri.run_id::text AS run_id, ri.dataset_version_id::text AS dataset_version_id,
             e.project_id::text AS run_project_id, d.project_id::text AS dataset_project_id
      FROM run_inputs ri
      JOIN runs r ON r.id = ri.run_id
      JOIN experiments e ON e.id = r.experiment_id
      JOIN dataset_versions dv ON dv.id = ri.dataset_version_id
      JOIN datasets d ON d.id = dv.dataset_id
      WHERE ${where} AND e.deleted_at IS NULL AND r.deleted_at IS NULL
      ORDER BY ri.created_at, ri.run_id, ri.dataset_version_id`;
    const mapped: LineageRow[] = rows.map((r) => ({
      runId: r.run_id,
      datasetVersionId: r.dataset_version_id,
      runProjectId: r.run_project_id,
      datasetProjectId: r.dataset_project_id,
    }));
    return ids.map((id) => mapped.filter((r) => (side === 'run' ? r.runId : r.datasetVersionId) === id.toLowerCase()));
  }
}

function toTimestamp(v: Cursor['v']): string {
  const date = new Date(String(v));
  return Number.isNaN(date.getTime()) ? '-infinity' : date.toISOString();
}
