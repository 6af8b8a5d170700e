/** Models, their gapless numbered versions and their aliases in PostgreSQL. */
import { isUuid } from '../common/validation';
import type { Model, ModelAlias, ModelVersion } from '../generated/prisma/client';
import { Prisma } from '../generated/prisma/client';
import type { Tx } from './auditedStore';
import { CatalogRows, catalogEntityData, type NewCatalogEntity, rowsByIds, rowsByKeys, rowsByParents } from './catalogStore';
import { aliasesBy, type CatalogEvent, deleted, NumberedCatalogStore, nextVersion, TX_OPTIONS } from './numberedVersions';
import { type NewSaga, type Saga, startSaga } from './sagasStore';

export type { Model, ModelAlias, ModelVersion };

export interface NewModel extends NewCatalogEntity {
  metadata?: Record<string, unknown>;
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

/** An event on a model (its project found by the audit in the same transaction). */
const modelEvent = (action: string, modelId: string) => (): CatalogEvent => ({
  action,
  entityType: 'Model',
  entityId: modelId,
  projectOf: { kind: 'MODEL', id: modelId },
});

export class ModelsStore extends NumberedCatalogStore {
  /** Models by ids, list pages and counts. */
  readonly models = new CatalogRows<Model>(this.prisma, 'models', (ids) =>
    this.prisma.model.findMany({ where: { id: { in: ids } } }),
  );

  createModel(input: NewModel): Promise<Model> {
    const event = { action: 'model.register', entityType: 'Model' };
    return this.createAudited(event, input, (tx) => tx.model.create({ data: catalogEntityData(input) }));
  }

  /** Models by (project, name), in the order asked, null where unknown: one query for all (a DataLoader batch function). */
  modelsByNames(keys: readonly ModelName[]): Promise<(Model | null)[]> {
    return rowsByKeys(keys, {
      valid: (k) => isUuid(k.projectId),
      find: (valid) =>
        this.prisma.model.findMany({
          where: { OR: valid.map((k) => ({ projectId: k.projectId.toLowerCase(), name: k.name })) },
        }),
      keyOfRow: (m) => `${m.projectId}/${m.name}`,
      keyOf: (k) => `${k.projectId.toLowerCase()}/${k.name}`,
    });
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

  versionsByIds(ids: readonly string[]): Promise<(ModelVersion | null)[]> {
    return rowsByIds(ids, (wanted) => this.prisma.modelVersion.findMany({ where: { id: { in: wanted } } }));
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
  versionsByNumber(keys: readonly { modelId: string; version: number }[]): Promise<(ModelVersion | null)[]> {
    return rowsByKeys(keys, {
      valid: (k) => isUuid(k.modelId) && Number.isInteger(k.version),
      find: (valid) =>
        this.prisma.modelVersion.findMany({
          where: { OR: valid.map((k) => ({ modelId: k.modelId.toLowerCase(), version: k.version })) },
        }),
      keyOfRow: (r) => `${r.modelId}:${r.version}`,
      keyOf: (k) => `${k.modelId.toLowerCase()}:${k.version}`,
    });
  }

  /** Versions each run produced, newest first, per run id asked. */
  versionsBySourceRuns(runIds: readonly string[]): Promise<ModelVersion[][]> {
    return rowsByParents(
      runIds,
      (wanted) =>
        this.prisma.modelVersion.findMany({
          where: { sourceRunId: { in: wanted } },
          orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        }),
      (r) => r.sourceRunId,
    );
  }

  /** Aliases of each model (`modelId`) or pointing at each version (`modelVersionId`), by name. */
  aliases(ids: readonly string[], of: 'modelId' | 'modelVersionId'): Promise<ModelAlias[][]> {
    return aliasesBy<ModelAlias>(ids, of, (where) => this.prisma.modelAlias.findMany({ where, orderBy: { alias: 'asc' } }));
  }

  /** Points an alias at a version, creating or moving it. */
  setAlias(modelId: string, alias: string, modelVersionId: string): Promise<ModelAlias> {
    const key = { modelId, alias };
    return this.aliasAudited(modelEvent('modelAlias.set', modelId), { alias, modelVersionId }, (tx) =>
      tx.modelAlias.upsert({ where: { modelId_alias: key }, create: { ...key, modelVersionId }, update: { modelVersionId } }),
    );
  }

  /** Removes an alias; false when there was none. */
  async deleteAlias(modelId: string, alias: string): Promise<boolean> {
    const write = (tx: Tx) => tx.modelAlias.deleteMany({ where: { modelId, alias } });
    return deleted(await this.aliasAudited(modelEvent('modelAlias.delete', modelId), { alias }, write, deleted));
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
