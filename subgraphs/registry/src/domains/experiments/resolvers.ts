/**
 * Experiments (queries, mutations, the Experiment type) and the run lists,
 * Query.runs and Experiment.runs: keyset pages from PostgreSQL, or, when the
 * search or the order names metrics, the join with the metrics service
 * (rankedRuns.ts). Run mutations and the Run type: runResolvers.ts.
 */
import { labError } from '@lab/shared';
import type { Role } from '../../access/access';
import { decodeCursor, pageConnection, pageSize, sortValueOf, toConnection } from '../../common/pagination';
import { writing } from '../../common/prismaErrors';
import type { RegistryResolvers } from '../../common/resolvers';
import { checkDescription, checkId, checkJsonObject, checkName, checkStringMap, isUuid } from '../../common/validation';
import type { RegistryContext } from '../../context';
import { EXPERIMENT_DELETE, experimentDeleteSaga } from '../../sagas/experimentDelete';
import type { Experiment, ExperimentChanges, ExperimentStatus, RunQuery } from '../../store/experimentsStore';
import { deletionOperation } from '../operations/resolvers';
import {
  EXPERIMENT_ORDER,
  type ExperimentFilterArg,
  experimentQuery,
  filterId,
  type ListArgs,
  type RunFilterArg,
  runList,
  sortOf,
} from './listArgs';
import { isRanked, rankedConnection, rankedRuns, rankedRunsOf } from './rankedRuns';
import { checkTransition } from './transitions';

// ---------------------------------------------------------------------------
// Access

/** The experiment if the caller has `role` in its project; NOT_FOUND if it does not exist or they are not a member. */
export async function experimentFor(ctx: RegistryContext, id: string, role: Role): Promise<Experiment> {
  const what = `experiment ${String(id).slice(0, 64)}`;
  const experiment = await ctx.loaders.experiments.load(checkId('experiment', id));
  if (!experiment) throw labError('NOT_FOUND', `${what} not found`);
  await ctx.access.require(experiment.projectId, role, what);
  return experiment;
}

/** References from other subgraphs: null (not an error) for what the caller cannot read. */
export async function visible<T extends { projectId: string }>(ctx: RegistryContext, row: T | null): Promise<T | null> {
  return row && (await ctx.access.can(row.projectId, 'VIEWER')) ? row : null;
}

// ---------------------------------------------------------------------------
// Lists

async function experimentsList(ctx: RegistryContext, args: ListArgs<ExperimentFilterArg>) {
  const first = pageSize(args.first);
  const cursor = decodeCursor(args.after);
  const sort = sortOf(args.orderBy, EXPERIMENT_ORDER, 'createdAt');
  const query = experimentQuery(args.filter, await ctx.access.readableProjects());
  const rows = first === 0 ? [] : await ctx.store.experiments.listExperiments(query, sort, cursor, first);
  for (const row of rows) ctx.loaders.experiments.prime(row.id, row);
  return pageConnection(rows, first, sort.field, cursor, () => ctx.store.experiments.countExperiments(query));
}

async function runsList(ctx: RegistryContext, args: ListArgs<RunFilterArg>) {
  const first = pageSize(args.first);
  const f = args.filter ?? {};
  const list = runList(f, args);
  const query: RunQuery = {
    projects: await ctx.access.readableProjects(),
    experimentId: filterId('filter.experimentId', f.experimentId),
    projectId: filterId('filter.projectId', f.projectId),
    ...list.query,
  };
  if (isRanked(list)) return rankedRuns(ctx, { query }, list, first);
  const { sort, cursor } = list;
  const rows = first === 0 ? [] : await ctx.store.experiments.listRuns(query, sort, cursor, first);
  for (const row of rows) ctx.loaders.runs.prime(row.id, row);
  return pageConnection(rows, first, 'sortKey', cursor, () => ctx.store.experiments.countRuns(query));
}

/** Experiment.runs: one batched query (or one ranked join) for every experiment asking the same list in this request. */
async function runsOfExperiment(parent: Experiment, args: ListArgs<RunFilterArg>, ctx: RegistryContext) {
  const first = pageSize(args.first);
  const list = runList(args.filter, args);
  const { query, sort, cursor } = list;
  const filterKey = JSON.stringify([args.filter ?? null, args.search ?? null]);
  const pageKey = JSON.stringify([filterKey, first, cursor ?? null, sort, list.metricOrder ?? null]);
  if (isRanked(list)) {
    return rankedConnection(await rankedRunsOf(ctx, pageKey, list, first).load(parent.id), list, first);
  }
  const rows = first === 0 ? [] : await ctx.loaders.runPages(pageKey, { query, sort, cursor, first }).load(parent.id);
  return toConnection(
    rows,
    first,
    (row) => sortValueOf(row.sortKey),
    () => ctx.loaders.runCounts(filterKey, query).load(parent.id),
    cursor !== undefined,
  );
}

// ---------------------------------------------------------------------------
// Resolvers

interface CreateExperimentInput {
  projectId: string;
  name: string;
  description?: string | null;
  config?: unknown;
  tags?: unknown;
}

interface UpdateExperimentInput {
  name?: string | null;
  description?: string | null;
  status?: ExperimentStatus | null;
  config?: unknown;
  tags?: unknown;
}

export const experimentsResolvers: RegistryResolvers = {
  Query: {
    experiment: (_p: unknown, args: { id: string }, ctx: RegistryContext) => experimentFor(ctx, args.id, 'VIEWER'),
    experiments: (_p: unknown, args: ListArgs<ExperimentFilterArg>, ctx: RegistryContext) => experimentsList(ctx, args),
    runs: (_p: unknown, args: ListArgs<RunFilterArg>, ctx: RegistryContext) => runsList(ctx, args),
  },

  Mutation: {
    async createExperiment(_p: unknown, { input }: { input: CreateExperimentInput }, ctx: RegistryContext) {
      const projectId = checkId('project', input.projectId);
      const name = checkName('name', input.name);
      const description = checkDescription('description', input.description);
      const config = checkJsonObject('config', input.config);
      const tags = checkStringMap('tags', input.tags);
      await ctx.access.require(projectId, 'EDITOR', `project ${projectId}`);
      const ownerId = ctx.access.requireUser('create experiments');
      const experiment = await writing(`experiment "${name}" in project ${projectId}`, () =>
        ctx.store.experiments.createExperiment({ projectId, name, description, config, tags, ownerId }),
      );
      ctx.loaders.experiments.prime(experiment.id, experiment);
      return experiment;
    },

    async updateExperiment(_p: unknown, { id, input }: { id: string; input: UpdateExperimentInput }, ctx: RegistryContext) {
      const changes: ExperimentChanges = {};
      if (input.name !== undefined && input.name !== null) changes.name = checkName('name', input.name);
      const description = checkDescription('description', input.description);
      if (description !== undefined) changes.description = description;
      const config = checkJsonObject('config', input.config);
      if (config !== undefined) changes.config = config;
      const tags = checkStringMap('tags', input.tags);
      if (tags !== undefined) changes.tags = tags;
      const current = await experimentFor(ctx, id, 'EDITOR');
      let fromStatus: ExperimentStatus | undefined;
      if (input.status && input.status !== current.status) {
        checkTransition(current.status, input.status);
        changes.status = input.status;
        fromStatus = current.status;
      }
      const what = `experiment "${changes.name ?? current.name}" in project ${current.projectId}`;
      const updated = await writing(what, () => ctx.store.experiments.updateExperiment(current.id, changes, fromStatus));
      if (!updated) {
        throw labError('CONFLICT', `experiment ${current.id} changed status meanwhile (was ${current.status}); read it again`);
      }
      ctx.loaders.experiments.clear(updated.id).prime(updated.id, updated);
      return updated;
    },

    deleteExperiment: (_p: unknown, args: { id: string }, ctx: RegistryContext) => {
      const id = checkId('experiment', args.id);
      return deletionOperation(ctx, {
        label: 'experiment',
        kind: EXPERIMENT_DELETE,
        id,
        live: () => experimentFor(ctx, id, 'EDITOR'),
        mayDelete: async (e) => ctx.caller.id === e.ownerId || (await ctx.access.can(e.projectId, 'OWNER')),
        forbidden: "Only the experiment's owner or an OWNER of its project may delete experiment",
        start: (e) => ctx.store.experiments.deleteExperiment(e.id, experimentDeleteSaga),
        forget: (e) => ctx.loaders.experiments.clear(e.id),
      });
    },
  },

  Experiment: {
    __resolveReference: async (ref: { id: string }, ctx: RegistryContext) =>
      isUuid(ref.id) ? visible(ctx, await ctx.loaders.experiments.load(ref.id.toLowerCase())) : null,
    project: (e: Experiment, _a: unknown, ctx: RegistryContext) => ctx.loaders.projects.load(e.projectId),
    owner: (e: Experiment, _a: unknown, ctx: RegistryContext) => ctx.loaders.users.load(e.ownerId),
    runs: runsOfExperiment,
    runCount: (e: Experiment, _a: unknown, ctx: RegistryContext) =>
      ctx.loaders.runCounts(JSON.stringify([null, null]), {}).load(e.id),
  },
};
