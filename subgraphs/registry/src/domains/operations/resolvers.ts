/**
 * Operations: the sagas (sagas/), as clients see them. A saga mutation starts
 * one, drives it at once and answers it: SUCCEEDED or FAILED when it ended
 * within LAB_SAGA_WAIT_SECONDS, else RUNNING (poll Query.operation).
 */
import { labError } from '@lab/shared';
import { decodeCursor, type PageArgs, pageSize, toConnection } from '../../common/pagination';
import type { RegistryResolvers } from '../../common/resolvers';
import { checkId } from '../../common/validation';
import type { RegistryContext } from '../../context';
import { SAGA_DEFINITIONS } from '../../sagas/definitions';
import type { Saga, SagaStatus } from '../../store/sagasStore';

const DEFINITIONS = new Map(SAGA_DEFINITIONS.map((d) => [d.kind, d]));

/** Drives a just-started (or found, or replayed) saga and answers its row as it is now. */
export async function runOperation(ctx: RegistryContext, saga: Saga): Promise<Saga> {
  return (await ctx.orchestrator?.drive(saga.id)) ?? saga;
}

/** How a deletion mutation finds, checks, starts and forgets what it deletes. */
export interface Deletion<T extends { id: string }> {
  /** experiment, run: words the NOT_FOUND of a row gone meanwhile. */
  label: string;
  /** The deletion saga's kind and the entity's id: an earlier deletion is found by them. */
  kind: string;
  id: string;
  /** The live entity for an EDITOR of its project (NOT_FOUND or FORBIDDEN otherwise). */
  live: () => Promise<T>;
  mayDelete: (entity: T) => Promise<boolean>;
  /** The FORBIDDEN message when it may not: the entity's id is appended. */
  forbidden: string;
  /** Marks the entity deleted and starts the saga; null when it is gone. */
  start: (entity: T) => Promise<Saga | null>;
  /** Drops the entity from the request's loaders. */
  forget: (entity: T) => void;
}

/**
 * A deletion mutation's answer: the saga it starts, driven at once; or, when the entity is deleted or being
 * deleted, that deletion (for an EDITOR of its project), so deleting again is a harmless retry.
 */
export async function deletionOperation<T extends { id: string }>(ctx: RegistryContext, deletion: Deletion<T>): Promise<Saga> {
  let entity: T;
  try {
    entity = await deletion.live();
  } catch (err) {
    const earlier = await ctx.store.sagas.latestOn(deletion.kind, deletion.id);
    if (earlier?.projectId && (await ctx.access.can(earlier.projectId, 'EDITOR'))) return runOperation(ctx, earlier);
    throw err;
  }
  if (!(await deletion.mayDelete(entity))) throw labError('FORBIDDEN', `${deletion.forbidden} ${entity.id}`);
  const saga = await deletion.start(entity);
  if (!saga) throw labError('NOT_FOUND', `${deletion.label} ${entity.id} not found`);
  deletion.forget(entity);
  return runOperation(ctx, saga);
}

async function readableOperation(ctx: RegistryContext, id: string): Promise<Saga | null> {
  const saga = await ctx.store.sagas.byId(id);
  if (!saga) return null;
  if (ctx.access.isSuperuser) return saga;
  if (!saga.projectId || !(await ctx.access.can(saga.projectId, 'VIEWER'))) return null;
  return saga;
}

interface OperationFilterArgs {
  status?: SagaStatus[] | null;
  kind?: string | null;
  projectId?: string | null;
  entityId?: string | null;
}

export const operationsResolvers: RegistryResolvers = {
  Query: {
    operation: async (_p: unknown, args: { id: string }, ctx: RegistryContext) => {
      const id = checkId('operation', args.id);
      const saga = await readableOperation(ctx, id);
      if (!saga) throw labError('NOT_FOUND', `operation ${id} not found`);
      return saga;
    },
    operations: async (_p: unknown, args: PageArgs & { filter?: OperationFilterArgs | null }, ctx: RegistryContext) => {
      const first = pageSize(args.first);
      const cursor = decodeCursor(args.after);
      const f = args.filter ?? {};
      const readable = await ctx.access.readableProjects();
      const projectId = f.projectId ? checkId('project', f.projectId) : undefined;
      const projectIds = projectId ? (readable === 'all' || readable.includes(projectId) ? [projectId] : []) : readable;
      const filter = {
        ...(f.status?.length ? { statuses: f.status } : {}),
        ...(f.kind ? { kind: f.kind } : {}),
        ...(f.entityId ? { entityId: f.entityId.toLowerCase() } : {}),
        projectIds,
      };
      const after = cursor && typeof cursor.v === 'string' ? { createdAt: new Date(cursor.v), id: cursor.id } : undefined;
      if (cursor && (!after || Number.isNaN(after.createdAt.getTime()))) {
        throw labError('BAD_USER_INPUT', 'after is not a cursor this list gave out', { argument: 'after' });
      }
      const rows = await ctx.store.sagas.list(filter, first + 1, after);
      return toConnection(
        rows,
        first,
        (s) => s.createdAt.toISOString(),
        () => ctx.store.sagas.count(filter),
        cursor !== undefined,
      );
    },
  },

  Operation: {
    steps: (saga: Saga) => DEFINITIONS.get(saga.kind)?.steps.map((s) => s.name) ?? [],
    compensation: (saga: Saga) => DEFINITIONS.get(saga.kind)?.compensation.map((s) => s.name) ?? [],
    result: (saga: Saga) => saga.state ?? {},
    datasetVersion: (saga: Saga, _a: unknown, ctx: RegistryContext) =>
      saga.entityType === 'DatasetVersion' ? ctx.loaders.datasetVersions.load(saga.entityId) : null,
    modelVersion: (saga: Saga, _a: unknown, ctx: RegistryContext) => {
      const versionId = (saga.input as { versionId?: unknown }).versionId;
      return saga.kind === 'model-version.from-run' && saga.status === 'SUCCEEDED' && typeof versionId === 'string'
        ? ctx.loaders.modelVersions.load(versionId)
        : null;
    },
  },
};
