import { randomUUID } from 'node:crypto';
import { fileNameOrPrefixProblem, labError, shownFileName } from '@lab/shared';
import type { PageArgs } from '../../common/pagination';
import { writing } from '../../common/prismaErrors';
import type { RegistryResolvers } from '../../common/resolvers';
import { checkDescription, checkId, checkJsonObject, checkKey, checkName, checkStringMap } from '../../common/validation';
import type { RegistryContext } from '../../context';
import { modelVersionFromRunSaga } from '../../sagas/modelVersionFromRun';
import type { Model, ModelAlias, ModelVersion } from '../../store/modelsStore';
import { runOperation } from '../operations/resolvers';
import { type ModelArgs, type ModelVersionArgs, modelByName, modelLookup, versionOfNamedModel } from './byName';
import {
  type CatalogListArgs,
  canRead,
  catalogConnection,
  checkSettableAlias,
  checkVersionNumber,
  isReservedAlias,
  versionNumberPage,
} from './catalog';

interface RegisterModelInput {
  projectId: string;
  name: string;
  description?: string | null;
  tags?: unknown;
  metadata?: unknown;
}

interface CreateModelVersionInput {
  modelId: string;
  description?: string | null;
  sourceRunId?: string | null;
  tags?: unknown;
  metadata?: unknown;
}

interface CreateModelVersionFromRunInput {
  modelId: string;
  runId: string;
  files?: string[] | null;
  description?: string | null;
  tags?: unknown;
  metadata?: unknown;
}

const MAX_FILES = 1000;

/**
 * Output names or prefixes ("dir/"): 1 to 1,000, each one a name requestUpload
 * would take (the file-name rules of @lab/shared); null for all. Refused here,
 * before the saga starts, so a bad name never reaches the artifacts service.
 */
function checkFileNames(field: string, names: string[] | null | undefined): string[] | null {
  if (names === undefined || names === null) return null;
  if (names.length === 0 || names.length > MAX_FILES) {
    throw labError('BAD_USER_INPUT', `${field} must list 1 to ${MAX_FILES} names (leave it out for all outputs)`, { field });
  }
  names.forEach((name, index) => {
    const problem = fileNameOrPrefixProblem(name);
    if (problem) {
      throw labError('BAD_USER_INPUT', `${field}[${index}]: name ${shownFileName(name)} is not allowed: ${problem}`, {
        field,
        index,
      });
    }
  });
  return [...new Set(names)];
}

/** A model the caller may read, or null. */
async function readableModel(ctx: RegistryContext, id: string): Promise<Model | null> {
  const model = await ctx.loaders.models.load(id);
  if (!model || !(await canRead(ctx, model.projectId))) return null;
  return model;
}

/** A model by id for a read (VIEWER) or write (EDITOR); NOT_FOUND when unknown or invisible. */
export async function requireModel(ctx: RegistryContext, rawId: string, role: 'VIEWER' | 'EDITOR'): Promise<Model> {
  const id = checkId('model', rawId);
  const model = await ctx.loaders.models.load(id);
  if (!model) throw labError('NOT_FOUND', `model ${id} not found`);
  await ctx.access.require(model.projectId, role, `model ${id}`);
  return model;
}

async function readableVersion(ctx: RegistryContext, id: string): Promise<ModelVersion | null> {
  const version = await ctx.loaders.modelVersions.load(id);
  if (!version) return null;
  return (await readableModel(ctx, version.modelId)) ? version : null;
}

function versionByNumber(ctx: RegistryContext, modelId: string, version: number) {
  return ctx.loaders.modelVersionsByNumber.load({ modelId, version });
}

export const modelsResolvers: RegistryResolvers = {
  Query: {
    model: async (_p: unknown, args: ModelArgs, ctx: RegistryContext) => {
      const lookup = modelLookup(args);
      return 'id' in lookup ? requireModel(ctx, lookup.id, 'VIEWER') : modelByName(ctx, lookup.projectId, lookup.name);
    },
    models: (_p: unknown, args: CatalogListArgs, ctx: RegistryContext) =>
      catalogConnection(
        ctx,
        args,
        (filter, page) => ctx.store.models.listModels(filter, page),
        (filter) => ctx.store.models.countModels(filter),
      ),
    modelVersion: async (_p: unknown, args: ModelVersionArgs, ctx: RegistryContext) => {
      if (args.id === undefined || args.id === null) {
        return versionOfNamedModel(
          ctx,
          args,
          (id) => ctx.loaders.modelVersions.load(id),
          (modelId, version) => versionByNumber(ctx, modelId, version),
        );
      }
      if ([args.projectId, args.model, args.alias, args.version].some((v) => v !== undefined && v !== null)) {
        throw labError('BAD_USER_INPUT', 'modelVersion: give id, or projectId, model and an alias or version, not both', {
          field: 'id',
        });
      }
      const id = checkId('model version', args.id);
      const version = await readableVersion(ctx, id);
      if (!version) throw labError('NOT_FOUND', `model version ${id} not found`);
      return version;
    },
  },

  Mutation: {
    registerModel: async (_p: unknown, { input }: { input: RegisterModelInput }, ctx: RegistryContext) => {
      const projectId = checkId('project', input.projectId);
      const name = checkName('name', input.name);
      const description = checkDescription('description', input.description);
      const tags = checkStringMap('tags', input.tags);
      const metadata = checkJsonObject('metadata', input.metadata);
      await ctx.access.require(projectId, 'EDITOR', `project ${projectId}`);
      const createdById = ctx.access.requireUser('register models');
      const model = await writing(`model "${name}"`, () =>
        ctx.store.models.createModel({ projectId, name, description, tags, metadata, createdById }),
      );
      ctx.loaders.models.prime(model.id, model);
      return model;
    },

    createModelVersion: async (_p: unknown, { input }: { input: CreateModelVersionInput }, ctx: RegistryContext) => {
      const description = checkDescription('description', input.description);
      const tags = checkStringMap('tags', input.tags);
      const metadata = checkJsonObject('metadata', input.metadata);
      const model = await requireModel(ctx, input.modelId, 'EDITOR');
      const createdById = ctx.access.requireUser('create model versions');
      let sourceRunId: string | undefined;
      if (input.sourceRunId !== undefined && input.sourceRunId !== null) {
        sourceRunId = checkId('run', input.sourceRunId);
        const runProject = await ctx.store.models.runProject(sourceRunId);
        if (runProject === null || !(await canRead(ctx, runProject))) throw labError('NOT_FOUND', `run ${sourceRunId} not found`);
        if (runProject !== model.projectId) {
          throw labError('BAD_USER_INPUT', "sourceRunId must be a run of the model's project", { field: 'sourceRunId' });
        }
      }
      const version = await writing(`version of model ${model.id}`, () =>
        ctx.store.models.createVersion({ modelId: model.id, description, sourceRunId, tags, metadata, createdById }),
      );
      if (!version) throw labError('NOT_FOUND', `model ${model.id} not found`);
      // The model's latestVersion changed: read it again if asked.
      ctx.loaders.models.clear(model.id);
      ctx.loaders.modelVersions.prime(version.id, version);
      return version;
    },

    createModelVersionFromRun: async (
      _p: unknown,
      { input }: { input: CreateModelVersionFromRunInput },
      ctx: RegistryContext,
    ) => {
      const description = checkDescription('description', input.description) ?? '';
      const tags = checkStringMap('tags', input.tags) ?? {};
      const metadata = checkJsonObject('metadata', input.metadata) ?? {};
      const names = checkFileNames('files', input.files);
      const model = await requireModel(ctx, input.modelId, 'EDITOR');
      const createdById = ctx.access.requireUser('create model versions');
      const runId = checkId('run', input.runId);
      const run = await ctx.loaders.runs.load(runId);
      if (!run || !(await canRead(ctx, run.projectId))) throw labError('NOT_FOUND', `run ${runId} not found`);
      if (run.projectId !== model.projectId) {
        throw labError('BAD_USER_INPUT', "runId must be a run of the model's project", { field: 'runId' });
      }
      const saga = modelVersionFromRunSaga(
        {
          versionId: randomUUID(),
          modelId: model.id,
          runId,
          experimentId: run.experimentId,
          names,
          description,
          tags,
          metadata,
          createdById,
        },
        model.projectId,
      );
      const started = await ctx.store.models.startVersionFromRun(saga, { runId, versionId: saga.input.versionId, files: names });
      const now = await runOperation(ctx, started);
      ctx.loaders.models.clear(model.id);
      return now;
    },

    setModelAlias: async (_p: unknown, args: { modelId: string; alias: string; version: number }, ctx: RegistryContext) => {
      const alias = checkSettableAlias(args.alias);
      const number = checkVersionNumber('version', args.version);
      const model = await requireModel(ctx, args.modelId, 'EDITOR');
      const version = await versionByNumber(ctx, model.id, number);
      if (!version) throw labError('NOT_FOUND', `version ${number} of model ${model.id} not found`);
      const row = await writing(`alias "${alias}"`, () => ctx.store.models.setAlias(model.id, alias, version.id));
      ctx.loaders.modelAliases.clear(model.id);
      ctx.loaders.modelVersionAliases.clearAll();
      return row;
    },

    deleteModelAlias: async (_p: unknown, args: { modelId: string; alias: string }, ctx: RegistryContext) => {
      const alias = checkKey('alias', args.alias);
      const model = await requireModel(ctx, args.modelId, 'EDITOR');
      const deleted = await ctx.store.models.deleteAlias(model.id, alias);
      ctx.loaders.modelAliases.clear(model.id);
      ctx.loaders.modelVersionAliases.clearAll();
      return deleted;
    },
  },

  Model: {
    __resolveReference: (ref: { id: string }, ctx: RegistryContext) => readableModel(ctx, ref.id),
    latestVersion: (model: Model, _a: unknown, ctx: RegistryContext) =>
      model.latestVersion > 0 ? versionByNumber(ctx, model.id, model.latestVersion) : null,
    version: (model: Model, args: { number: number }, ctx: RegistryContext) =>
      Number.isInteger(args.number) && args.number >= 1 ? versionByNumber(ctx, model.id, args.number) : null,
    versions: (model: Model, args: PageArgs, ctx: RegistryContext) =>
      versionNumberPage(model.latestVersion, args, (numbers) =>
        ctx.loaders.modelVersionsByNumber.loadMany(numbers.map((version) => ({ modelId: model.id, version }))),
      ),
    alias: async (model: Model, args: { name: string }, ctx: RegistryContext) => {
      if (isReservedAlias(args.name)) {
        return model.latestVersion > 0 ? versionByNumber(ctx, model.id, model.latestVersion) : null;
      }
      const found = (await ctx.loaders.modelAliases.load(model.id)).find((a) => a.alias === args.name);
      return found ? ctx.loaders.modelVersions.load(found.modelVersionId) : null;
    },
    aliases: (model: Model, _a: unknown, ctx: RegistryContext) => ctx.loaders.modelAliases.load(model.id),
    createdBy: (model: Model, _a: unknown, ctx: RegistryContext) => ctx.loaders.users.load(model.createdById),
    project: (model: Model, _a: unknown, ctx: RegistryContext) => ctx.loaders.projects.load(model.projectId),
  },

  ModelVersion: {
    __resolveReference: (ref: { id: string }, ctx: RegistryContext) => readableVersion(ctx, ref.id),
    model: (version: ModelVersion, _a: unknown, ctx: RegistryContext) => ctx.loaders.models.load(version.modelId),
    aliases: async (version: ModelVersion, _a: unknown, ctx: RegistryContext) =>
      (await ctx.loaders.modelVersionAliases.load(version.id)).map((a) => a.alias),
    createdBy: (version: ModelVersion, _a: unknown, ctx: RegistryContext) => ctx.loaders.users.load(version.createdById),
  },

  ModelAlias: {
    version: (alias: ModelAlias, _a: unknown, ctx: RegistryContext) => ctx.loaders.modelVersions.load(alias.modelVersionId),
  },
};
