/**
 * Experiments, runs and run lineage (run_inputs) in PostgreSQL.
 *
 * Lists are raw, parameterised SQL (Prisma.sql): keyset pages over
 * (sort column, id), JSONB containment for tags/config/params, and the run
 * search language's WHERE fragment. Nested run pages of many experiments are
 * one query (ROW_NUMBER() OVER (PARTITION BY experiment_id ...)), their counts
 * one GROUP BY.
 */
import { labError } from '@lab/shared';
import { isUuid } from '../common/validation';
import { type Experiment, type ExperimentStatus, Prisma, type Run, type RunStatus } from '../generated/prisma/client';
import { AuditedStore } from './auditedStore';
import {
  LIVE_EXPERIMENT,
  LIVE_RUN,
  type NestedRunQuery,
  nestedRunConditions,
  RUN_SELECT,
  type RunQuery,
  type RunRow,
  type RunSort,
  type RunSortField,
  type RunSourceColumns,
  runConditions,
  runKeyset,
  runOrderBy,
  runSortKey,
} from './runQueries';
import { type NewSaga, type Saga, startedSaga, startSaga } from './sagasStore';
import {
  and,
  type KeysetCursor,
  keyset,
  likeContaining,
  orderBy,
  projectsCondition,
  type Sort,
  type TimeRange,
  timeRange,
} from './sqlFragments';

export type {
  Experiment,
  ExperimentStatus,
  KeysetCursor,
  NestedRunQuery,
  Run,
  RunQuery,
  RunRow,
  RunSort,
  RunSortField,
  RunStatus,
  Sort,
  TimeRange,
};

/** A run of a list with its sort value (what its cursor holds). */
export type SortedRun = Run & { sortKey: unknown };
export type SortedRunRow = RunRow & { sortKey: unknown };

/** A run as stored, whether or not it or its experiment is marked deleted. */
export interface StoredRun {
  experimentId: string;
  experimentDeleted: boolean;
  /** The run itself is marked deleted (deleteRun). */
  runDeleted: boolean;
}

export type ExperimentSortField = 'createdAt' | 'updatedAt' | 'name';

const EXPERIMENT_COLUMNS: Record<ExperimentSortField, string> = {
  createdAt: 'created_at',
  updatedAt: 'updated_at',
  name: 'name',
};

export interface ExperimentQuery {
  /** Projects the caller may read, or 'all'. */
  projects: string[] | 'all';
  projectId?: string;
  status?: ExperimentStatus[];
  tags?: Record<string, string>;
  nameSearch?: string;
  created?: TimeRange;
  configContains?: Record<string, unknown>;
}

const EXPERIMENT_SELECT = Prisma.sql`e.id, e.project_id AS "projectId", e.name, e.description, e.status::text AS status,
  e.config, e.tags, e.owner_id AS "ownerId", e.created_at AS "createdAt", e.updated_at AS "updatedAt",
  e.deleted_at AS "deletedAt"`;

function experimentConditions(q: ExperimentQuery): Prisma.Sql[] {
  const c: Prisma.Sql[] = [LIVE_EXPERIMENT, ...projectsCondition(Prisma.sql`e.project_id`, q.projects)];
  if (q.projectId) c.push(Prisma.sql`e.project_id = ${q.projectId}::uuid`);
  if (q.status && q.status.length > 0) c.push(Prisma.sql`e.status::text = ANY(${q.status}::text[])`);
  if (q.tags && Object.keys(q.tags).length > 0) c.push(Prisma.sql`e.tags @> ${JSON.stringify(q.tags)}::jsonb`);
  if (q.configContains && Object.keys(q.configContains).length > 0) {
    c.push(Prisma.sql`e.config @> ${JSON.stringify(q.configContains)}::jsonb`);
  }
  if (q.nameSearch) c.push(Prisma.sql`e.name ILIKE ${likeContaining(q.nameSearch)}`);
  c.push(...timeRange(Prisma.sql`e.created_at`, q.created));
  return c;
}

export interface NewExperiment {
  projectId: string;
  name: string;
  description?: string;
  config?: Record<string, unknown>;
  tags?: Record<string, string>;
  ownerId: string;
}

export interface ExperimentChanges {
  name?: string;
  description?: string;
  status?: ExperimentStatus;
  config?: Record<string, unknown>;
  tags?: Record<string, string>;
}

export interface NewRun {
  experimentId: string;
  projectId: string;
  name: string;
  params?: Record<string, string>;
  tags?: Record<string, string>;
  config?: Record<string, unknown>;
  notes?: string;
  source?: RunSourceColumns | null;
  startTime?: Date;
  createdById: string;
  /** Dataset version ids (distinct) the run reads. */
  inputs: string[];
}

export class ExperimentsStore extends AuditedStore {
  // -------------------------------------------------------------------------
  // Experiments

  /** Experiments by id, in the order asked, null where unknown (a DataLoader batch function). */
  async experimentsByIds(ids: readonly string[]): Promise<(Experiment | null)[]> {
    const wanted = [...new Set(ids.filter(isUuid).map((id) => id.toLowerCase()))];
    const found =
      wanted.length > 0 ? await this.prisma.experiment.findMany({ where: { id: { in: wanted }, deletedAt: null } }) : [];
    const byId = new Map(found.map((e) => [e.id, e]));
    return ids.map((id) => byId.get(id.toLowerCase()) ?? null);
  }

  /** Up to first+1 experiments of one keyset page. */
  listExperiments(q: ExperimentQuery, sort: Sort<ExperimentSortField>, cursor: KeysetCursor | undefined, first: number) {
    const column = EXPERIMENT_COLUMNS[sort.field];
    const where = and([...experimentConditions(q), ...keyset('e', column, sort.direction, cursor)]);
    return this.prisma.$queryRaw<Experiment[]>`SELECT ${EXPERIMENT_SELECT} FROM experiments e WHERE ${where}
      ORDER BY ${orderBy('e', column, sort.direction)} LIMIT ${first + 1}`;
  }

  async countExperiments(q: ExperimentQuery): Promise<number> {
    const rows = await this.prisma.$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM experiments e WHERE ${and(
      experimentConditions(q),
    )}`;
    return Number(rows[0]?.n ?? 0);
  }

  createExperiment(data: NewExperiment): Promise<Experiment> {
    return this.withAudit(async (tx, audit) => {
      const experiment = await tx.experiment.create({
        data: { ...data, config: data.config as Prisma.InputJsonObject | undefined },
      });
      audit({
        action: 'experiment.create',
        entityType: 'Experiment',
        entityId: experiment.id,
        projectId: experiment.projectId,
        change: { ...data },
      });
      return experiment;
    });
  }

  /**
   * Applies the changes; with `fromStatus`, only while the status is still
   * that one (null: it changed meanwhile, the caller reports a conflict).
   */
  async updateExperiment(id: string, changes: ExperimentChanges, fromStatus?: ExperimentStatus): Promise<Experiment | null> {
    return this.withAudit(async (tx, audit) => {
      const { count } = await tx.experiment.updateMany({
        where: { id, deletedAt: null, ...(fromStatus ? { status: fromStatus } : {}) },
        data: { ...changes, config: changes.config as Prisma.InputJsonObject | undefined },
      });
      if (count === 0) return null;
      const experiment = await tx.experiment.findUnique({ where: { id } });
      if (experiment) {
        audit({
          action: 'experiment.update',
          entityType: 'Experiment',
          entityId: id,
          projectId: experiment.projectId,
          change: { ...changes, ...(fromStatus && changes.status ? { fromStatus } : {}) },
        });
      }
      return experiment;
    });
  }

  // -------------------------------------------------------------------------
  // Runs

  /** Runs by id with their experiment's project, in the order asked, null where unknown. */
  async runsByIds(ids: readonly string[]): Promise<(RunRow | null)[]> {
    const wanted = [...new Set(ids.filter(isUuid).map((id) => id.toLowerCase()))];
    const found =
      wanted.length > 0
        ? await this.prisma.$queryRaw<RunRow[]>`SELECT ${RUN_SELECT}, e.project_id AS "projectId"
            FROM runs r JOIN experiments e ON e.id = r.experiment_id WHERE r.id = ANY(${wanted}::uuid[]) AND ${LIVE_EXPERIMENT} AND ${LIVE_RUN}`
        : [];
    const byId = new Map(found.map((r) => [r.id, r]));
    return ids.map((id) => byId.get(id.toLowerCase()) ?? null);
  }

  /** Up to first+1 runs of one keyset page, over every readable project. */
  listRuns(q: RunQuery, sort: RunSort, cursor: KeysetCursor | undefined, first: number): Promise<SortedRunRow[]> {
    const beyond = runKeyset(sort, cursor);
    const where = and([...runConditions(q), ...(beyond ? [beyond] : [])]);
    return this.prisma.$queryRaw<SortedRunRow[]>`SELECT ${RUN_SELECT}, e.project_id AS "projectId", ${runSortKey(sort)}
      FROM runs r JOIN experiments e ON e.id = r.experiment_id WHERE ${where}
      ORDER BY ${runOrderBy(sort)} LIMIT ${first + 1}`;
  }

  async countRuns(q: RunQuery): Promise<number> {
    const rows = await this.prisma.$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n
      FROM runs r JOIN experiments e ON e.id = r.experiment_id WHERE ${and(runConditions(q))}`;
    return Number(rows[0]?.n ?? 0);
  }

  /**
   * One keyset page of runs for each of many experiments, in ONE query: up to
   * first+1 runs per experiment (ROW_NUMBER() over each experiment's runs in
   * page order). Returns the rows grouped by experiment id, in the order asked.
   */
  async runPagesOfExperiments(
    experimentIds: readonly string[],
    q: NestedRunQuery,
    sort: RunSort,
    cursor: KeysetCursor | undefined,
    first: number,
  ): Promise<SortedRun[][]> {
    const wanted = [...new Set(experimentIds.filter(isUuid).map((id) => id.toLowerCase()))];
    if (wanted.length === 0 || first + 1 <= 0) return experimentIds.map(() => []);
    const beyond = runKeyset(sort, cursor);
    const where = and([
      Prisma.sql`r.experiment_id = ANY(${wanted}::uuid[])`,
      ...nestedRunConditions(q),
      ...(beyond ? [beyond] : []),
    ]);
    const rows = await this.prisma.$queryRaw<(SortedRun & { rn: bigint })[]>`SELECT * FROM (
        SELECT ${RUN_SELECT}, ${runSortKey(sort)}, ROW_NUMBER() OVER (PARTITION BY r.experiment_id ORDER BY ${runOrderBy(sort)}) AS rn
        FROM runs r WHERE ${where}
      ) page WHERE page.rn <= ${first + 1} ORDER BY page."experimentId", page.rn`;
    const byExperiment = new Map<string, SortedRun[]>();
    for (const { rn: _rn, ...run } of rows) {
      const list = byExperiment.get(run.experimentId) ?? [];
      list.push(run);
      byExperiment.set(run.experimentId, list);
    }
    return experimentIds.map((id) => byExperiment.get(id.toLowerCase()) ?? []);
  }

  /** Run counts of many experiments in one GROUP BY query, in the order asked. */
  async runCountsOfExperiments(experimentIds: readonly string[], q: NestedRunQuery): Promise<number[]> {
    const wanted = [...new Set(experimentIds.filter(isUuid).map((id) => id.toLowerCase()))];
    if (wanted.length === 0) return experimentIds.map(() => 0);
    const where = and([Prisma.sql`r.experiment_id = ANY(${wanted}::uuid[])`, ...nestedRunConditions(q)]);
    const rows = await this.prisma.$queryRaw<{ experimentId: string; n: bigint }[]>`SELECT r.experiment_id AS "experimentId",
      count(*) AS n FROM runs r WHERE ${where} GROUP BY r.experiment_id`;
    const counts = new Map(rows.map((r) => [r.experimentId, Number(r.n)]));
    return experimentIds.map((id) => counts.get(id.toLowerCase()) ?? 0);
  }

  /**
   * Creates a RUNNING run and its lineage rows in one transaction. Every
   * input must be a dataset version of the run's project: unknown ones (or of
   * projects elsewhere) are NOT_FOUND.
   */
  async startRun(data: NewRun): Promise<Run> {
    return this.withAudit(async (tx, audit) => {
      // Shares the experiment row's lock with other run starts; a deletion (an UPDATE) waits for them, or they see it.
      const live = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM experiments
        WHERE id = ${data.experimentId}::uuid AND deleted_at IS NULL FOR SHARE`;
      if (live.length === 0) throw labError('NOT_FOUND', `experiment ${data.experimentId} not found`);
      if (data.inputs.length > 0) {
        const found = await tx.$queryRaw<{ id: string }[]>`SELECT dv.id FROM dataset_versions dv
          JOIN datasets d ON d.id = dv.dataset_id
          WHERE dv.id = ANY(${data.inputs}::uuid[]) AND d.project_id = ${data.projectId}::uuid`;
        const ok = new Set(found.map((r) => r.id));
        const missing = data.inputs.filter((id) => !ok.has(id));
        if (missing.length > 0) {
          throw labError('NOT_FOUND', `inputs: dataset version ${missing.join(', ')} not found in the experiment's project`, {
            field: 'inputs',
          });
        }
      }
      const run = await tx.run.create({
        data: {
          experimentId: data.experimentId,
          name: data.name,
          params: data.params ?? {},
          tags: data.tags ?? {},
          config: (data.config ?? {}) as Prisma.InputJsonObject,
          notes: data.notes ?? '',
          ...(data.source ?? {}),
          ...(data.startTime ? { startTime: data.startTime } : {}),
          createdById: data.createdById,
        },
      });
      if (data.inputs.length > 0) {
        await tx.runInput.createMany({ data: data.inputs.map((datasetVersionId) => ({ runId: run.id, datasetVersionId })) });
      }
      const { createdById: _by, ...change } = data;
      audit({ action: 'run.start', entityType: 'Run', entityId: run.id, projectId: data.projectId, change });
      return run;
    });
  }

  /** Ends a run that is still RUNNING; null when it is not (anymore). */
  async finishRun(id: string, status: Exclude<RunStatus, 'RUNNING'>, endTime: Date): Promise<Run | null> {
    return this.withAudit(async (tx, audit) => {
      const { count } = await tx.run.updateMany({
        where: { id, status: 'RUNNING', deletedAt: null, experiment: { deletedAt: null } },
        data: { status, endTime },
      });
      if (count === 0) return null;
      audit({
        action: 'run.finish',
        entityType: 'Run',
        entityId: id,
        projectOf: { kind: 'RUN', id },
        change: { status, endTime },
      });
      return tx.run.findUnique({ where: { id } });
    });
  }

  // -------------------------------------------------------------------------
  // Deletion (sagas/experimentDelete.ts)

  /**
   * Marks the experiment deleted and starts its deletion saga, in one
   * transaction: from the commit on, it and its runs are gone for readers and
   * writers. When a deletion is already under way, answers that saga; null
   * when there is no such live experiment.
   */
  deleteExperiment(id: string, saga: (experiment: Experiment) => NewSaga): Promise<Saga | null> {
    return this.withAudit(async (tx, audit) => {
      const experiment = await tx.experiment.findUnique({ where: { id } });
      if (!experiment) return null;
      const started = saga(experiment);
      if (experiment.deletedAt) return started.activeKey ? startedSaga(tx, started.activeKey) : null;
      await tx.experiment.update({ where: { id }, data: { deletedAt: new Date() } });
      audit({
        action: 'experiment.delete',
        entityType: 'Experiment',
        entityId: id,
        projectId: experiment.projectId,
        change: { name: experiment.name },
      });
      return startSaga(tx, this.actor, started);
    });
  }

  /** Removes a deleted experiment's row, its runs and their lineage (cascade); false when it is gone already. */
  purgeExperiment(id: string): Promise<boolean> {
    return this.withAudit(async (tx, audit) => {
      const experiment = await tx.experiment.findUnique({ where: { id }, include: { _count: { select: { runs: true } } } });
      if (!experiment) return false;
      if (!experiment.deletedAt) throw labError('CONFLICT', `experiment ${id} is not marked deleted`);
      await tx.experiment.delete({ where: { id } });
      audit({
        action: 'experiment.purge',
        entityType: 'Experiment',
        entityId: id,
        projectId: experiment.projectId,
        change: { name: experiment.name, runs: experiment._count.runs },
      });
      return true;
    });
  }

  /**
   * Runs as stored, deleted ones and those of experiments marked deleted
   * included (readers use runsByIds): each found run's experiment and whether
   * it or its experiment is marked deleted.
   * One query; the reconciler's check of files and metrics against runs.
   */
  async storedRuns(ids: readonly string[]): Promise<Map<string, StoredRun>> {
    const wanted = [...new Set(ids.filter(isUuid).map((id) => id.toLowerCase()))];
    if (wanted.length === 0) return new Map();
    const rows = await this.prisma.$queryRaw<(StoredRun & { id: string })[]>`SELECT r.id::text AS id,
        r.experiment_id::text AS "experimentId", e.deleted_at IS NOT NULL AS "experimentDeleted",
        r.deleted_at IS NOT NULL AS "runDeleted"
      FROM runs r JOIN experiments e ON e.id = r.experiment_id WHERE r.id = ANY(${wanted}::uuid[])`;
    return new Map(rows.map(({ id, ...run }) => [id, run]));
  }
}
