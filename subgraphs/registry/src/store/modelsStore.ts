/** Models, their gapless numbered versions and their aliases in PostgreSQL. */
import { isUuid } from '../common/validation';
import type { Model, ModelAlias, ModelVersion } from '../generated/prisma/client';
import { Prisma } from '../generated/prisma/client';
import { AuditedStore } from './auditedStore';
import {
  type CatalogFilter,
  type CatalogPage,
  catalogCount,
  catalogPageIds,
  inOrder,
  nextVersion,
  ordered,
  TX_OPTIONS,
} from './catalogQueries';
import { type NewSaga, type Saga, startSaga } from './sagasStore';

export type { Model, ModelAlias, ModelVersion };

export interface NewModel {
  projectId: string;
  name: string;
  description?: string;
  tags?: Record<string, string>;
  metadata?: Record<string, unknown>;
  createdById: string;
}

/** A model's name in its project (names are unique per project). */
export interface ModelName {
  projectId: string;
  name: string;
}

export interface NewModelVersion {
  /** A chosen id (a saga that put the files under it first); creating it again answers the version it made. */
  id?: string;
  modelId: string;
  description?: string;
  sourceRunId?: string;
  tags?: Record<string, string>;
  metadata?: Record<string, unknown>;
  createdById: string;
}

function uuids(ids: readonly string[]): string[] {
  return [...new Set(ids.filter(isUuid).map((id) => id.toLowerCase()))];
}

export class ModelsStore extends AuditedStore {
  createModel(input: NewModel): Promise<Model> {
    return this.withAudit(async (tx, audit) => {
      const model = await tx.model.create({
        data: {
          projectId: input.projectId,
          name: input.name,
          description: input.description ?? '',
          tags: input.tags ?? {},
          metadata: (input.metadata ?? {}) as Prisma.InputJsonObject,
          createdById: input.createdById,
        },
      });
      const { createdById: _by, ...change } = input;
      audit({ action: 'model.register', entityType: 'Model', entityId: model.id, projectId: model.projectId, change });
      return model;
    });
  }

  async modelsByIds(ids: readonly string[]): Promise<(Model | null)[]> {
    const wanted = uuids(ids);
    const rows = wanted.length > 0 ? await this.prisma.model.findMany({ where: { id: { in: wanted } } }) : [];
    return inOrder(ids, rows);
  }

  /** Models by (project, name), in the order asked, null where unknown: one query for all (a DataLoader batch function). */
  async modelsByNames(keys: readonly ModelName[]): Promise<(Model | null)[]> {
    const wanted = keys.filter((k) => isUuid(k.projectId));
    const rows =
      wanted.length > 0
        ? await this.prisma.model.findMany({
            where: { OR: wanted.map((k) => ({ projectId: k.projectId.toLowerCase(), name: k.name })) },
          })
        : [];
    const byName = new Map(rows.map((m) => [`${m.projectId}/${m.name}`, m]));
    return keys.map((k) => byName.get(`${k.projectId.toLowerCase()}/${k.name}`) ?? null);
  }

  async listModels(filter: CatalogFilter, page: CatalogPage): Promise<Model[]> {
    const ids = await catalogPageIds(this.prisma, 'models', filter, page);
    if (ids.length === 0) return [];
    return ordered(ids, await this.prisma.model.findMany({ where: { id: { in: ids } } }));
  }

  countModels(filter: CatalogFilter): Promise<number> {
    return catalogCount(this.prisma, 'models', filter);
  }

  /**
   * The next version of a model. The UPDATE takes the model row's lock, so
   * concurrent calls queue and each gets the next number; a failed insert rolls
   * the bump back, so numbers have no gaps. Null when the model is gone.
   */
  createVersion(input: NewModelVersion): Promise<ModelVersion | null> {
    return this.withAudit(async (tx, audit) => {
      if (input.id) {
        const made = await tx.modelVersion.findUnique({ where: { id: input.id } });
        if (made) return made;
      }
      const next = await nextVersion(tx, 'models', input.modelId);
      if (next === undefined) return null;
      const { version, projectId } = next;
      const created = await tx.modelVersion.create({
        data: {
          ...(input.id ? { id: input.id } : {}),
          modelId: input.modelId,
          version,
          description: input.description ?? '',
          sourceRunId: input.sourceRunId ?? null,
          tags: input.tags ?? {},
          metadata: (input.metadata ?? {}) as Prisma.InputJsonObject,
          createdById: input.createdById,
        },
      });
      const { createdById: _by, ...change } = input;
      audit({
        action: 'modelVersion.create',
        entityType: 'ModelVersion',
        entityId: created.id,
        projectId,
        change: { ...change, version },
      });
      return created;
    }, TX_OPTIONS);
  }

  /** Starts the saga that makes a version of a run's outputs (sagas/modelVersionFromRun.ts). */
  startVersionFromRun(saga: NewSaga, change: Record<string, unknown>): Promise<Saga> {
    return this.withAudit(async (tx, audit) => {
      audit({
        action: 'modelVersion.fromRun',
        entityType: 'Model',
        entityId: saga.entityId,
        projectId: saga.projectId,
        change,
      });
      return startSaga(tx, this.actor, saga);
    });
  }

  async versionsByIds(ids: readonly string[]): Promise<(ModelVersion | null)[]> {
    const wanted = uuids(ids);
    const rows = wanted.length > 0 ? await this.prisma.modelVersion.findMany({ where: { id: { in: wanted } } }) : [];
    return inOrder(ids, rows);
  }

  /**
   * Versions made of a run's files (metadata.sourceFiles > 0, sagas/modelVersionFromRun.ts)
   * after `afterId` in id order, created before `createdBefore` (the reconciler's check of their files).
   */
  versionsWithSourceFilesPage(afterId: string | undefined, limit: number, createdBefore: Date): Promise<ModelVersion[]> {
    const after = afterId ? Prisma.sql`AND id > ${afterId}::uuid` : Prisma.empty;
    return this.prisma.$queryRaw<ModelVersion[]>`SELECT id::text AS id, model_id::text AS "modelId", version,
        description, source_run_id::text AS "sourceRunId", tags, metadata, created_by_id::text AS "createdById",
        created_at AS "createdAt", updated_at AS "updatedAt"
      FROM model_versions
      WHERE jsonb_typeof(metadata->'sourceFiles') = 'number' AND (metadata->>'sourceFiles')::numeric > 0
        AND created_at < ${createdBefore} ${after}
      ORDER BY id LIMIT ${limit}`;
  }

  /** Versions by (model id, number), in the order asked, null where missing. */
  async versionsByNumber(keys: readonly { modelId: string; version: number }[]): Promise<(ModelVersion | null)[]> {
    const valid = keys.filter((k) => isUuid(k.modelId) && Number.isInteger(k.version));
    const rows =
      valid.length > 0
        ? await this.prisma.modelVersion.findMany({
            where: { OR: valid.map((k) => ({ modelId: k.modelId.toLowerCase(), version: k.version })) },
          })
        : [];
    const byKey = new Map(rows.map((r) => [`${r.modelId}:${r.version}`, r]));
    return keys.map((k) => byKey.get(`${k.modelId.toLowerCase()}:${k.version}`) ?? null);
  }

  /** Versions each run produced, newest first, per run id asked. */
  async versionsBySourceRuns(runIds: readonly string[]): Promise<ModelVersion[][]> {
    const wanted = uuids(runIds);
    const rows =
      wanted.length > 0
        ? await this.prisma.modelVersion.findMany({
            where: { sourceRunId: { in: wanted } },
            orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
          })
        : [];
    return runIds.map((id) => rows.filter((r) => r.sourceRunId === id.toLowerCase()));
  }

  /** Aliases of each model, by name. */
  async aliasesByModels(modelIds: readonly string[]): Promise<ModelAlias[][]> {
    const wanted = uuids(modelIds);
    const rows =
      wanted.length > 0
        ? await this.prisma.modelAlias.findMany({ where: { modelId: { in: wanted } }, orderBy: { alias: 'asc' } })
        : [];
    return modelIds.map((id) => rows.filter((r) => r.modelId === id.toLowerCase()));
  }

  /** Aliases pointing at each version. */
  async aliasesByVersions(versionIds: readonly string[]): Promise<ModelAlias[][]> {
    const wanted = uuids(versionIds);
    const rows =
      wanted.length > 0
        ? await this.prisma.modelAlias.findMany({ where: { modelVersionId: { in: wanted } }, orderBy: { alias: 'asc' } })
        : [];
    return versionIds.map((id) => rows.filter((r) => r.modelVersionId === id.toLowerCase()));
  }

  /** Points an alias at a version, creating or moving it. */
  setAlias(modelId: string, alias: string, modelVersionId: string): Promise<ModelAlias> {
    return this.withAudit(async (tx, audit) => {
      const row = await tx.modelAlias.upsert({
        where: { modelId_alias: { modelId, alias } },
        create: { modelId, alias, modelVersionId },
        update: { modelVersionId },
      });
      audit({
        action: 'modelAlias.set',
        entityType: 'Model',
        entityId: modelId,
        projectOf: { kind: 'MODEL', id: modelId },
        change: { alias, modelVersionId },
      });
      return row;
    });
  }

  /** Removes an alias; false when there was none. */
  async deleteAlias(modelId: string, alias: string): Promise<boolean> {
    return this.withAudit(async (tx, audit) => {
      const { count } = await tx.modelAlias.deleteMany({ where: { modelId, alias } });
      if (count > 0) {
        audit({
          action: 'modelAlias.delete',
          entityType: 'Model',
          entityId: modelId,
          projectOf: { kind: 'MODEL', id: modelId },
          change: { alias },
        });
      }
      return count > 0;
    });
  }

  /** The project of a run (through its experiment), or null when there is no such run. */
  async runProject(runId: string): Promise<string | null> {
    if (!isUuid(runId)) return null;
    const rows = await this.prisma.$queryRaw<{ project_id: string }[]>(Prisma.sql`
      SELECT e.project_id::text AS project_id FROM runs r JOIN experiments e ON e.id = r.experiment_id
      WHERE r.id = ${runId}::uuid AND e.deleted_at IS NULL AND r.deleted_at IS NULL`);
    return rows[0]?.project_id ?? null;
  }
}
