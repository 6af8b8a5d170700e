/**
 * Runs: Query.run, the run mutations (startRun, finishRun, updateRun,
 * deleteRun) and the Run type. Writes need EDITOR in the run's project; what
 * a caller cannot see is NOT_FOUND. Lists of runs: resolvers.ts.
 */
import { labError } from '@lab/shared';
import type { Role } from '../../access/access';
import { writing } from '../../common/prismaErrors';
import type { RegistryResolvers } from '../../common/resolvers';
import { checkId, checkName, checkStringMap, isUuid } from '../../common/validation';
import type { RegistryContext } from '../../context';
import { RUN_DELETE, runDeleteSaga } from '../../sagas/runDelete';
import type { Run, RunRow, RunStatus } from '../../store/experimentsStore';
import type { RunChanges } from '../../store/runsStore';
import { deletionOperation } from '../operations/resolvers';
import { bad } from './listArgs';
import { experimentFor, visible } from './resolvers';
import {
  checkConfig,
  checkInputs,
  checkNotes,
  checkRunChanges,
  checkSource,
  type RunSourceInput,
  type UpdateRunInput,
} from './runInput';
import { checkRunTransition } from './transitions';

interface StartRunInput {
  experimentId: string;
  name: string;
  params?: unknown;
  tags?: unknown;
  inputs?: string[] | null;
  startTime?: Date | null;
  config?: unknown;
  source?: RunSourceInput | null;
  notes?: string | null;
}

async function runFor(ctx: RegistryContext, id: string, role: Role): Promise<RunRow> {
  const what = `run ${String(id).slice(0, 64)}`;
  const run = await ctx.loaders.runs.load(checkId('run', id));
  if (!run) throw labError('NOT_FOUND', `${what} not found`);
  await ctx.access.require(run.projectId, role, what);
  return run;
}

/** The time a run finished through updateRun: now, or its start when that lies ahead. */
function finishedAt(run: Run): Date {
  return new Date(Math.max(Date.now(), run.startTime.getTime()));
}

export const runResolvers: RegistryResolvers = {
  Query: {
    run: (_p: unknown, args: { id: string }, ctx: RegistryContext) => runFor(ctx, args.id, 'VIEWER'),
  },

  Mutation: {
    async startRun(_p: unknown, { input }: { input: StartRunInput }, ctx: RegistryContext) {
      const name = checkName('name', input.name);
      const params = checkStringMap('params', input.params);
      const tags = checkStringMap('tags', input.tags);
      const config = checkConfig('config', input.config);
      const source = checkSource('source', input.source);
      const notes = checkNotes('notes', input.notes);
      const inputs = checkInputs('inputs', input.inputs);
      const experiment = await experimentFor(ctx, input.experimentId, 'EDITOR');
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
          config,
          notes,
          source,
          startTime: input.startTime ?? undefined,
          createdById,
          inputs,
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

    async updateRun(
      _p: unknown,
      { id, input }: { id: string; input: UpdateRunInput & { status?: RunStatus | null } },
      ctx: RegistryContext,
    ) {
      const changes: RunChanges = checkRunChanges(input);
      const run = await runFor(ctx, id, 'EDITOR');
      if (input.status && input.status !== run.status) {
        checkRunTransition(run.status, input.status);
        changes.status = { from: run.status, to: input.status, endTime: input.status === 'RUNNING' ? null : finishedAt(run) };
      }
      const result = await writing(`run "${changes.name ?? run.name}"`, () => ctx.store.runs.updateRun(run.id, changes));
      if (result.kind === 'missing') throw labError('NOT_FOUND', `run ${run.id} not found`);
      if (result.kind === 'moved') {
        throw labError('CONFLICT', `run ${run.id} changed status meanwhile (it is ${result.status} now); read it again`, {
          status: result.status,
        });
      }
      ctx.loaders.runs.clear(run.id).prime(run.id, { ...result.run, projectId: run.projectId });
      return result.run;
    },

    deleteRun: (_p: unknown, args: { id: string }, ctx: RegistryContext) => {
      const id = checkId('run', args.id);
      return deletionOperation(ctx, {
        label: 'run',
        kind: RUN_DELETE,
        id,
        live: () => runFor(ctx, id, 'EDITOR'),
        mayDelete: async (run) =>
          ctx.caller.id === run.createdById ||
          ctx.caller.id === (await ctx.loaders.experiments.load(run.experimentId))?.ownerId ||
          (await ctx.access.can(run.projectId, 'OWNER')),
        forbidden: "Only the run's creator, its experiment's owner or an OWNER of its project may delete run",
        start: (run) => ctx.store.runs.deleteRun(run.id, runDeleteSaga),
        forget: (run) => ctx.loaders.runs.clear(run.id),
      });
    },
  },

  Run: {
    __resolveReference: async (ref: { id: string }, ctx: RegistryContext) =>
      isUuid(ref.id) ? visible(ctx, await ctx.loaders.runs.load(ref.id.toLowerCase())) : null,
    experiment: (r: Run, _a: unknown, ctx: RegistryContext) => ctx.loaders.experiments.load(r.experimentId),
    createdBy: (r: Run, _a: unknown, ctx: RegistryContext) => ctx.loaders.users.load(r.createdById),
    duration: (r: Run) => (r.endTime ? (r.endTime.getTime() - r.startTime.getTime()) / 1000 : null),
    source: (r: Run) => {
      const source = {
        commit: r.sourceCommit,
        branch: r.sourceBranch,
        dirty: r.sourceDirty,
        entryPoint: r.sourceEntryPoint,
        host: r.sourceHost,
      };
      return Object.values(source).every((v) => v === null || v === undefined) ? null : source;
    },
  },
};
