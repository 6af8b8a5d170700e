/**
 * Changes to runs after their start, in PostgreSQL: updateRun (name, notes,
 * tags added and removed, params added once, input dataset versions linked,
 * status) and deleteRun (the row
 * marked deleted with its saga started; purged last by the saga,
 * sagas/runDelete.ts). Each change is audited in its own transaction; a
 * change that changes nothing writes no event.
 */
import { labError } from '@lab/shared';
import { MAX_TAGS } from '../common/validation';
import type { Prisma, Run, RunStatus } from '../generated/prisma/client';
import { AuditedStore, type Tx } from './auditedStore';
import { type NewSaga, type Saga, startedSaga, startSaga } from './sagasStore';

/** Most params a run may hold in all (added over its life). */
export const MAX_RUN_PARAMS = 1_000;
/** Most input dataset versions (lineage) a run may hold in all, at its start and added later. */
export const MAX_RUN_INPUTS = 1_000;

export interface RunChanges {
  name?: string;
  notes?: string;
  /** Tags set (added, or replacing the value). */
  addTags?: Record<string, string>;
  /** Tag keys removed (before addTags is applied). */
  removeTags?: string[];
  /** Params added: a key held with another value is a CONFLICT, with the same value nothing. */
  addParams?: Record<string, string>;
  /** Dataset version ids (distinct, lowercase) the run read: each must be in the run's project; linked ones are nothing. */
  addInputs?: string[];
  /** The new status; with it, the status it must still be (else the update answers `moved`). */
  status?: { to: RunStatus; from: RunStatus; endTime: Date | null };
}

export type RunUpdate = { kind: 'updated' | 'unchanged'; run: Run } | { kind: 'missing' } | { kind: 'moved'; status: RunStatus };

/** A run to delete, with its experiment's project. */
export interface RunToDelete {
  id: string;
  experimentId: string;
  projectId: string;
  name: string;
  createdById: string;
}

interface LockedRun {
  id: string;
  name: string;
  notes: string;
  status: RunStatus;
  tags: Record<string, string>;
  params: Record<string, string>;
  projectId: string;
}

/** The live run, locked for the rest of the transaction; null when it is gone. */
async function lockRun(tx: Tx, id: string): Promise<LockedRun | null> {
  const rows = await tx.$queryRaw<LockedRun[]>`SELECT r.id, r.name, r.notes, r.status::text AS status, r.tags, r.params,
      e.project_id::text AS "projectId"
    FROM runs r JOIN experiments e ON e.id = r.experiment_id
    WHERE r.id = ${id}::uuid AND r.deleted_at IS NULL AND e.deleted_at IS NULL
    FOR UPDATE OF r`;
  return rows[0] ?? null;
}

function sameMap(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => b[k] === a[k]);
}

/** The params to add that are new; a CONFLICT naming the first key logged with another value. */
function newParams(runId: string, held: Record<string, string>, added: Record<string, string>): Record<string, string> {
  const fresh: Record<string, string> = {};
  for (const [key, value] of Object.entries(added)) {
    const current = held[key];
    if (current === undefined) fresh[key] = value;
    else if (current !== value) {
      throw labError(
        'CONFLICT',
        `run ${runId} already logged param "${key}" as "${current.slice(0, 100)}": logged params cannot change`,
        { field: `addParams.${key}` },
      );
    }
  }
  return fresh;
}

/**
 * The dataset versions to link that are not linked yet. Each must be a version of a dataset in the run's project
 * (NOT_FOUND naming the others, as at the run's start); the run's inputs in all stay within MAX_RUN_INPUTS.
 */
async function newInputs(tx: Tx, run: LockedRun, wanted: string[]): Promise<string[]> {
  if (wanted.length === 0) return [];
  const found = await tx.$queryRaw<{ id: string }[]>`SELECT dv.id::text AS id FROM dataset_versions dv
    JOIN datasets d ON d.id = dv.dataset_id
    WHERE dv.id = ANY(${wanted}::uuid[]) AND d.project_id = ${run.projectId}::uuid`;
  const ok = new Set(found.map((r) => r.id));
  const missing = wanted.filter((id) => !ok.has(id));
  if (missing.length > 0) {
    throw labError('NOT_FOUND', `addInputs: dataset version ${missing.join(', ')} not found in the run's project`, {
      field: 'addInputs',
    });
  }
  const linked = await tx.$queryRaw<{ id: string }[]>`SELECT dataset_version_id::text AS id FROM run_inputs
    WHERE run_id = ${run.id}::uuid`;
  const held = new Set(linked.map((r) => r.id));
  const fresh = wanted.filter((id) => !held.has(id));
  const total = held.size + fresh.length;
  if (fresh.length > 0 && total > MAX_RUN_INPUTS) {
    throw labError(
      'BAD_USER_INPUT',
      `a run reads at most ${MAX_RUN_INPUTS} dataset versions (this update would leave ${total})`,
      { field: 'addInputs' },
    );
  }
  return fresh;
}

export class RunsStore extends AuditedStore {
  /**
   * Applies the changes to a live run under its row lock. Answers `unchanged`
   * (and writes nothing) when they change nothing, `moved` when the status is
   * no longer the one the change was decided on, `missing` when the run is gone.
   */
  updateRun(id: string, changes: RunChanges): Promise<RunUpdate> {
    return this.withAudit(async (tx, audit) => {
      const run = await lockRun(tx, id);
      if (!run) return { kind: 'missing' } as const;
      if (changes.status && run.status !== changes.status.from) return { kind: 'moved', status: run.status } as const;
      const data: Prisma.RunUpdateInput = {};
      const change: Record<string, unknown> = {};
      if (changes.name !== undefined && changes.name !== run.name) data.name = change.name = changes.name;
      if (changes.notes !== undefined && changes.notes !== run.notes) data.notes = change.notes = changes.notes;
      const tags = { ...run.tags };
      for (const key of changes.removeTags ?? []) delete tags[key];
      Object.assign(tags, changes.addTags ?? {});
      if (!sameMap(tags, run.tags)) {
        if (Object.keys(tags).length > MAX_TAGS) {
          throw labError(
            'BAD_USER_INPUT',
            `a run has at most ${MAX_TAGS} tags (this update would leave ${Object.keys(tags).length})`,
            {
              field: 'addTags',
            },
          );
        }
        data.tags = tags;
        change.tags = { added: changes.addTags ?? {}, removed: changes.removeTags ?? [] };
      }
      const params = newParams(id, run.params, changes.addParams ?? {});
      if (Object.keys(params).length > 0) {
        const total = Object.keys(run.params).length + Object.keys(params).length;
        if (total > MAX_RUN_PARAMS) {
          throw labError('BAD_USER_INPUT', `a run has at most ${MAX_RUN_PARAMS} params (this update would leave ${total})`, {
            field: 'addParams',
          });
        }
        data.params = { ...run.params, ...params };
        change.addParams = params;
      }
      const inputs = await newInputs(tx, run, changes.addInputs ?? []);
      if (inputs.length > 0) change.addInputs = inputs;
      if (changes.status && changes.status.to !== run.status) {
        data.status = changes.status.to;
        data.endTime = changes.status.endTime;
        Object.assign(change, { status: changes.status.to, fromStatus: run.status, endTime: changes.status.endTime });
      }
      if (Object.keys(data).length === 0 && inputs.length === 0) {
        return { kind: 'unchanged', run: await tx.run.findUniqueOrThrow({ where: { id } }) } as const;
      }
      if (inputs.length > 0) {
        await tx.runInput.createMany({ data: inputs.map((datasetVersionId) => ({ runId: id, datasetVersionId })) });
      }
      const updated = await tx.run.update({ where: { id }, data });
      audit({ action: 'run.update', entityType: 'Run', entityId: id, projectId: run.projectId, change });
      return { kind: 'updated', run: updated } as const;
    });
  }

  /**
   * Marks the run deleted and starts its deletion saga, in one transaction:
   * from the commit on, it is gone for readers and writers. When its deletion
   * is under way, answers that saga; null when there is no such run (or its
   * experiment is deleted: that deletion takes the run too).
   */
  deleteRun(id: string, saga: (run: RunToDelete) => NewSaga): Promise<Saga | null> {
    return this.withAudit(async (tx, audit) => {
      const rows = await tx.$queryRaw<
        (RunToDelete & { deleted: boolean })[]
      >`SELECT r.id, r.experiment_id::text AS "experimentId",
          e.project_id::text AS "projectId", r.name, r.created_by_id::text AS "createdById", r.deleted_at IS NOT NULL AS deleted
        FROM runs r JOIN experiments e ON e.id = r.experiment_id
        WHERE r.id = ${id}::uuid AND e.deleted_at IS NULL
        FOR UPDATE OF r`;
      const found = rows[0];
      if (!found) return null;
      const { deleted, ...run } = found;
      const started = saga(run);
      if (deleted) return started.activeKey ? startedSaga(tx, started.activeKey) : null;
      await tx.run.update({ where: { id }, data: { deletedAt: new Date() } });
      audit({
        action: 'run.delete',
        entityType: 'Run',
        entityId: id,
        projectId: run.projectId,
        change: { name: run.name, experimentId: run.experimentId },
      });
      return startSaga(tx, this.actor, started);
    });
  }

  /** Removes a deleted run's row and its lineage (cascade); false when it is gone already. */
  purgeRun(id: string): Promise<boolean> {
    return this.withAudit(async (tx, audit) => {
      const rows = await tx.$queryRaw<{ deleted: boolean; projectId: string; name: string }[]>`SELECT
          r.deleted_at IS NOT NULL AS deleted, e.project_id::text AS "projectId", r.name
        FROM runs r JOIN experiments e ON e.id = r.experiment_id WHERE r.id = ${id}::uuid FOR UPDATE OF r`;
      const run = rows[0];
      if (!run) return false;
      if (!run.deleted) throw labError('CONFLICT', `run ${id} is not marked deleted`);
      await tx.run.delete({ where: { id } });
      audit({ action: 'run.purge', entityType: 'Run', entityId: id, projectId: run.projectId, change: { name: run.name } });
      return true;
    });
  }
}
