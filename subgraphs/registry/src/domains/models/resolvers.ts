/** Models: registering, numbered versions (by hand or from a run's outputs), aliases, and the Model and ModelVersion types. */
import { randomUUID } from 'node:crypto';
import { fileNameOrPrefixProblem, labError, shownFileName } from '@lab/shared';
import { writing } from '../../common/prismaErrors';
import type { RegistryResolvers } from '../../common/resolvers';
import { checkDescription, checkId, checkJsonObject, checkStringMap } from '../../common/validation';
import type { RegistryContext } from '../../context';
import { modelVersionFromRunSaga } from '../../sagas/modelVersionFromRun';
import type { Model, ModelAlias, ModelVersion } from '../../store/modelsStore';
import { type CatalogListArgs, canRead, catalogConnection } from '../catalog/catalog';
import { type CatalogEntityInput, createInProject, readableEntity, readableVersion, requireEntity } from '../catalog/entities';
import { deleteVersionAlias, type NumberedVersions, numberedVersionFields, setVersionAlias } from '../catalog/numberedVersions';
import { runOperation } from '../operations/resolvers';
import { type ModelArgs, type ModelVersionArgs, modelByName, modelLookup, versionOfNamedModel } from './byName';

interface RegisterModelInput extends CatalogEntityInput {
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
function readableModel(ctx: RegistryContext, id: string): Promise<Model | null> {
  return readableEntity(ctx, id, (modelId) => ctx.loaders.models.load(modelId));
}

/** A model by id for a read (VIEWER) or write (EDITOR); NOT_FOUND when unknown or invisible. */
export function requireModel(ctx: RegistryContext, rawId: string, role: 'VIEWER' | 'EDITOR'): Promise<Model> {
  return requireEntity(ctx, 'model', rawId, role, (id) => ctx.loaders.models.load(id));
}

function readableModelVersion(ctx: RegistryContext, id: string): Promise<ModelVersion | null> {
  return readableVersion(
    ctx,
    id,
    (versionId) => ctx.loaders.modelVersions.load(versionId),
    (version) => ctx.loaders.models.load(version.modelId),
  );
}

function versionByNumber(ctx: RegistryContext, modelId: string, version: number) {
  return ctx.loaders.modelVersionsByNumber.load({ modelId, version });
}

/** A model's numbered versions and aliases, through the request's loaders. */
const modelVersions: NumberedVersions<Model, ModelVersion, ModelAlias> = {
  label: 'model',
  requireParent: requireModel,
  byId: (ctx, id) => ctx.loaders.modelVersions.load(id),
  byNumber: versionByNumber,
  byNumbers: (ctx, modelId, numbers) =>
    ctx.loaders.modelVersionsByNumber.loadMany(numbers.map((version) => ({ modelId, version }))),
  aliases: (ctx, modelId) => ctx.loaders.modelAliases.load(modelId),
  versionIdOf: (alias) => alias.modelVersionId,
  setAlias: (ctx, modelId, alias, versionId) => ctx.store.models.setAlias(modelId, alias, versionId),
  deleteAlias: (ctx, modelId, alias) => ctx.store.models.deleteAlias(modelId, alias),
  clearAliases: (ctx, modelId) => {
    ctx.loaders.modelAliases.clear(modelId);
    ctx.loaders.modelVersionAliases.clearAll();
  },
};

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
        (filter, page) => ctx.store.models.models.list(filter, page),
        (filter) => ctx.store.models.models.count(filter),
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
      const version = await readableModelVersion(ctx, id);
      if (!version) throw labError('NOT_FOUND', `model version ${id} not found`);
      return version;
    },
  },

  Mutation: {
    registerModel: async (_p: unknown, { input }: { input: RegisterModelInput }, ctx: RegistryContext) => {
      const model = await createInProject(
        ctx,
        input,
        { label: 'model', doing: 'register models' },
        () => ({ metadata: checkJsonObject('metadata', input.metadata) }),
        (fields) => ctx.store.models.createModel(fields),
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

    setModelAlias: (_p: unknown, args: { modelId: string; alias: string; version: number }, ctx: RegistryContext) =>
      setVersionAlias(modelVersions, ctx, { parentId: args.modelId, alias: args.alias, version: args.version }),

    deleteModelAlias: (_p: unknown, args: { modelId: string; alias: string }, ctx: RegistryContext) =>
      deleteVersionAlias(modelVersions, ctx, { parentId: args.modelId, alias: args.alias }),
  },

  Model: {
    __resolveReference: (ref: { id: string }, ctx: RegistryContext) => readableModel(ctx, ref.id),
    ...numberedVersionFields(modelVersions),
    createdBy: (model: Model, _a: unknown, ctx: RegistryContext) => ctx.loaders.users.load(model.createdById),
    project: (model: Model, _a: unknown, ctx: RegistryContext) => ctx.loaders.projects.load(model.projectId),
  },

  ModelVersion: {
    __resolveReference: (ref: { id: string }, ctx: RegistryContext) => readableModelVersion(ctx, ref.id),
    model: (version: ModelVersion, _a: unknown, ctx: RegistryContext) => ctx.loaders.models.load(version.modelId),
    aliases: async (version: ModelVersion, _a: unknown, ctx: RegistryContext) =>
      (await ctx.loaders.modelVersionAliases.load(version.id)).map((a) => a.alias),
    createdBy: (version: ModelVersion, _a: unknown, ctx: RegistryContext) => ctx.loaders.users.load(version.createdById),
  },

  ModelAlias: {
    version: (alias: ModelAlias, _a: unknown, ctx: RegistryContext) => ctx.loaders.modelVersions.load(alias.modelVersionId),
  },
};
