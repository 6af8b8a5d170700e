import { labError } from '@lab/shared';
import type { Role } from '../../access/access';
import { type Cursor, type Direction, decodeCursor, pageSize, sortValueOf, toConnection } from '../../common/pagination';
import { writing } from '../../common/prismaErrors';
import type { RegistryResolvers } from '../../common/resolvers';
import { checkDescription, checkId, checkJsonObject, checkName, checkStringMap, isUuid } from '../../common/validation';
import type { RegistryContext } from '../../context';
import { EXPERIMENT_DELETE, experimentDeleteSaga } from '../../sagas/experimentDelete';
import { runFilterToSql } from '../../search';
import type {
  Experiment,
  ExperimentChanges,
  ExperimentQuery,
  ExperimentSortField,
  ExperimentStatus,
  NestedRunQuery,
  Run,
  RunQuery,
  RunRow,
  RunSortField,
  RunStatus,
  Sort,
  TimeRange,
} from '../../store/experimentsStore';
import type { Saga } from '../../store/sagasStore';
import { runOperation } from '../operations/resolvers';
import { checkTransition } from './transitions';

// ---------------------------------------------------------------------------
// Input checks

const MAX_SEARCH_TEXT = 200;
const MAX_INPUTS = 1000;

function bad(field: string, message: string): never {
  throw labError('BAD_USER_INPUT', `${field} ${message}`, { field });
}

function filterId(field: string, value: string | null | undefined): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isUuid(value)) bad(field, `must be an id (got "${value.slice(0, 64)}")`);
  return value.toLowerCase();
}

function searchText(field: string, value: string | null | undefined): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (value.length > MAX_SEARCH_TEXT) bad(field, `must be at most ${MAX_SEARCH_TEXT} characters`);
  return value;
}

function range(field: string, value: TimeRange | null | undefined, from?: Date | null, to?: Date | null): TimeRange | undefined {
  const out: TimeRange = { from: from ?? value?.from ?? null, to: to ?? value?.to ?? null };
  if (!out.from && !out.to) return undefined;
  if (out.from && out.to && out.from > out.to) bad(field, 'must not end before it starts');
  return out;
}

function statuses<T extends string>(value: T[] | null | undefined): T[] | undefined {
  return value && value.length > 0 ? [...new Set(value)] : undefined;
}

const DIRECTIONS: Direction[] = ['ASC', 'DESC'];

function sortOf<F extends string>(
  order: { field?: string | null; direction?: string | null } | null | undefined,
  fields: Record<string, F>,
  fallback: F,
): Sort<F> {
  const field = order?.field ? fields[order.field] : fallback;
  const direction = (order?.direction ?? 'DESC') as Direction;
  if (!field || !DIRECTIONS.includes(direction)) bad('orderBy', 'is not a known order');
  return { field, direction };
}

const EXPERIMENT_ORDER: Record<string, ExperimentSortField> = { CREATED_AT: 'createdAt', UPDATED_AT: 'updatedAt', NAME: 'name' };
const RUN_ORDER: Record<string, RunSortField> = { START_TIME: 'startTime', CREATED_AT: 'createdAt', NAME: 'name' };

interface ExperimentFilterArg {
  projectId?: string | null;
  status?: ExperimentStatus[] | null;
  tags?: unknown;
  nameSearch?: string | null;
  created?: TimeRange | null;
  createdAfter?: Date | null;
  createdBefore?: Date | null;
  configContains?: unknown;
}

interface RunFilterArg {
  experimentId?: string | null;
  projectId?: string | null;
  status?: RunStatus[] | null;
  tags?: unknown;
  paramsContains?: unknown;
  nameSearch?: string | null;
  started?: TimeRange | null;
}

interface ListArgs<F> {
  filter?: F | null;
  search?: string | null;
  first?: number | null;
  after?: string | null;
  orderBy?: { field?: string | null; direction?: string | null } | null;
}

function experimentQuery(filter: ExperimentFilterArg | null | undefined, projects: string[] | 'all'): ExperimentQuery {
  const f = filter ?? {};
  return {
    projects,
    projectId: filterId('filter.projectId', f.projectId),
    status: statuses(f.status),
    tags: checkStringMap('filter.tags', f.tags),
    nameSearch: searchText('filter.nameSearch', f.nameSearch),
    created: range('filter.created', f.created, f.createdAfter, f.createdBefore),
    configContains: checkJsonObject('filter.configContains', f.configContains),
  };
}

function nestedRunQuery(filter: RunFilterArg | null | undefined, search: string | null | undefined): NestedRunQuery {
  const f = filter ?? {};
  return {
    status: statuses(f.status),
    tags: checkStringMap('filter.tags', f.tags),
    paramsContains: checkJsonObject('filter.paramsContains', f.paramsContains),
    nameSearch: searchText('filter.nameSearch', f.nameSearch),
    started: range('filter.started', f.started),
    search: search && search.trim() !== '' ? runFilterToSql(search, { alias: 'r' }) : undefined,
  };
}

// ---------------------------------------------------------------------------
// Access

/** The experiment if the caller has `role` in its project; NOT_FOUND if it does not exist or they are not a member. */
async function experimentFor(ctx: RegistryContext, id: string, role: Role): Promise<Experiment> {
  const what = `experiment ${String(id).slice(0, 64)}`;
  const experiment = await ctx.loaders.experiments.load(checkId('experiment', id));
  if (!experiment) throw labError('NOT_FOUND', `${what} not found`);
  await ctx.access.require(experiment.projectId, role, what);
  return experiment;
}

/**
 * The live experiment (EDITOR), or, when it is deleted or being deleted, its
 * deletion: deleting it again answers that, so a retry is harmless.
 */
async function experimentOrItsDeletion(
  ctx: RegistryContext,
  id: string,
): Promise<{ experiment: Experiment } | { deletion: Saga }> {
  try {
    return { experiment: await experimentFor(ctx, id, 'EDITOR') };
  } catch (err) {
    const deletion = await ctx.store.sagas.latestOn(EXPERIMENT_DELETE, id);
    if (deletion?.projectId && (await ctx.access.can(deletion.projectId, 'EDITOR'))) return { deletion };
    throw err;
  }
}

async function runFor(ctx: RegistryContext, id: string, role: Role): Promise<RunRow> {
  const what = `run ${String(id).slice(0, 64)}`;
  const run = await ctx.loaders.runs.load(checkId('run', id));
  if (!run) throw labError('NOT_FOUND', `${what} not found`);
  await ctx.access.require(run.projectId, role, what);
  return run;
}

/** References from other subgraphs: null (not an error) for what the caller cannot read. */
async function visible<T extends { projectId: string }>(ctx: RegistryContext, row: T | null): Promise<T | null> {
  return row && (await ctx.access.can(row.projectId, 'VIEWER')) ? row : null;
}

// ---------------------------------------------------------------------------
// Lists

function cursorOf(after: string | null | undefined): Cursor | undefined {
  return decodeCursor(after);
}

async function experimentsList(ctx: RegistryContext, args: ListArgs<ExperimentFilterArg>) {
  const first = pageSize(args.first);
  const cursor = cursorOf(args.after);
  const sort = sortOf(args.orderBy, EXPERIMENT_ORDER, 'createdAt');
  const query = experimentQuery(args.filter, await ctx.access.readableProjects());
  const rows = first === 0 ? [] : await ctx.store.experiments.listExperiments(query, sort, cursor, first);
  for (const row of rows) ctx.loaders.experiments.prime(row.id, row);
  let total: Promise<number> | undefined;
  return toConnection(
    rows,
    first,
    (row) => sortValueOf(row[sort.field]),
    () => {
      total ??= ctx.store.experiments.countExperiments(query);
      return total;
    },
    cursor !== undefined,
  );
}

async function runsList(ctx: RegistryContext, args: ListArgs<RunFilterArg>) {
  const first = pageSize(args.first);
  const cursor = cursorOf(args.after);
  const sort = sortOf(args.orderBy, RUN_ORDER, 'createdAt');
  const f = args.filter ?? {};
  const query: RunQuery = {
    projects: await ctx.access.readableProjects(),
    experimentId: filterId('filter.experimentId', f.experimentId),
    projectId: filterId('filter.projectId', f.projectId),
    ...nestedRunQuery(f, args.search),
  };
  const rows = first === 0 ? [] : await ctx.store.experiments.listRuns(query, sort, cursor, first);
  for (const row of rows) ctx.loaders.runs.prime(row.id, row);
  let total: Promise<number> | undefined;
  return toConnection(
    rows,
    first,
    (row) => sortValueOf(row[sort.field]),
    () => {
      total ??= ctx.store.experiments.countRuns(query);
      return total;
    },
    cursor !== undefined,
  );
}

/** Experiment.runs: one batched query for every experiment asking the same list in this request. */
async function runsOfExperiment(parent: Experiment, args: ListArgs<RunFilterArg>, ctx: RegistryContext) {
  const first = pageSize(args.first);
  const cursor = cursorOf(args.after);
  const sort = sortOf(args.orderBy, RUN_ORDER, 'createdAt');
  const query = nestedRunQuery(args.filter, args.search);
  const filterKey = JSON.stringify([args.filter ?? null, args.search ?? null]);
  const pageKey = JSON.stringify([filterKey, first, cursor ?? null, sort]);
  const rows = first === 0 ? [] : await ctx.loaders.runPages(pageKey, { query, sort, cursor, first }).load(parent.id);
  return toConnection(
    rows,
    first,
    (row) => sortValueOf(row[sort.field]),
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

interface StartRunInput {
  experimentId: string;
  name: string;
  params?: unknown;
  tags?: unknown;
  inputs?: string[] | null;
  startTime?: Date | null;
}

export const experimentsResolvers: RegistryResolvers = {
  Query: {
    experiment: (_p: unknown, args: { id: string }, ctx: RegistryContext) => experimentFor(ctx, args.id, 'VIEWER'),
    experiments: (_p: unknown, args: ListArgs<ExperimentFilterArg>, ctx: RegistryContext) => experimentsList(ctx, args),
    run: (_p: unknown, args: { id: string }, ctx: RegistryContext) => runFor(ctx, args.id, 'VIEWER'),
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

    async deleteExperiment(_p: unknown, args: { id: string }, ctx: RegistryContext) {
      const found = await experimentOrItsDeletion(ctx, checkId('experiment', args.id));
      if ('deletion' in found) return runOperation(ctx, found.deletion);
      const { experiment } = found;
      const isOwner = ctx.caller.id === experiment.ownerId || (await ctx.access.can(experiment.projectId, 'OWNER'));
      if (!isOwner) {
        throw labError(
          'FORBIDDEN',
          `Only the experiment's owner or an OWNER of its project may delete experiment ${experiment.id}`,
        );
      }
      const saga = await ctx.store.experiments.deleteExperiment(experiment.id, experimentDeleteSaga);
      if (!saga) throw labError('NOT_FOUND', `experiment ${experiment.id} not found`);
      ctx.loaders.experiments.clear(experiment.id);
      return runOperation(ctx, saga);
    },

    async startRun(_p: unknown, { input }: { input: StartRunInput }, ctx: RegistryContext) {
      const name = checkName('name', input.name);
      const params = checkStringMap('params', input.params);
      const tags = checkStringMap('tags', input.tags);
      const inputs = [...new Set(input.inputs ?? [])];
      if (inputs.length > MAX_INPUTS) bad('inputs', `must list at most ${MAX_INPUTS} dataset versions`);
      const experiment = await experimentFor(ctx, input.experimentId, 'EDITOR');
      for (const inputId of inputs) {
        if (!isUuid(inputId)) {
          throw labError('NOT_FOUND', `inputs: dataset version ${inputId.slice(0, 64)} not found`, { field: 'inputs' });
        }
      }
      if (experiment.status === 'ARCHIVED') {
        throw labError('CONFLICT', `experiment ${experiment.id} is ARCHIVED: move it back to DRAFT before starting runs`);
      }
      const createdById = ctx.access.requireUser('start runs');
      const run = await writing(`run "${name}"`, () =>
        ctx.store.experiments.startRun({
          experimentId: experiment.id,
          projectId: experiment.projectId,
          name,
          params,
          tags,
          startTime: input.startTime ?? undefined,
          createdById,
          inputs: inputs.map((i) => i.toLowerCase()),
        }),
      );
      ctx.loaders.runs.prime(run.id, { ...run, projectId: experiment.projectId });
      return run;
    },

    async finishRun(
      _p: unknown,
      args: { id: string; status?: Exclude<RunStatus, 'RUNNING'> | null; endTime?: Date | null },
      ctx: RegistryContext,
    ) {
      const run = await runFor(ctx, args.id, 'EDITOR');
      const status = args.status ?? 'COMPLETED';
      const notRunning = (now: RunStatus) =>
        labError('CONFLICT', `run ${run.id} is ${now}: only a RUNNING run can be finished`, { status: now });
      if (run.status !== 'RUNNING') throw notRunning(run.status);
      const endTime = args.endTime ?? new Date();
      if (endTime < run.startTime) bad('endTime', `must not be before the run's startTime (${run.startTime.toISOString()})`);
      const finished = await ctx.store.experiments.finishRun(run.id, status, endTime);
      if (!finished) throw labError('CONFLICT', `run ${run.id} was finished meanwhile: only a RUNNING run can be finished`);
      ctx.loaders.runs.clear(run.id).prime(run.id, { ...finished, projectId: run.projectId });
      return finished;
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

  Run: {
    __resolveReference: async (ref: { id: string }, ctx: RegistryContext) =>
      isUuid(ref.id) ? visible(ctx, await ctx.loaders.runs.load(ref.id.toLowerCase())) : null,
    experiment: (r: Run, _a: unknown, ctx: RegistryContext) => ctx.loaders.experiments.load(r.experimentId),
    createdBy: (r: Run, _a: unknown, ctx: RegistryContext) => ctx.loaders.users.load(r.createdById),
    duration: (r: Run) => (r.endTime ? (r.endTime.getTime() - r.startTime.getTime()) / 1000 : null),
  },
};
