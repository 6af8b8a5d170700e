/**
 * Models and versions found the way people name them: a model by its project
 * and name (Query.model(projectId, name)), and the version behind an alias or
 * number of a named model in one call (Query.modelVersion(projectId, model,
 * alias | version)). Lookups by id keep working; each form is checked whole
 * (BAD_USER_INPUT naming what is missing or extra) and batched (one query for
 * every name asked in a request).
 */
import { labError } from '@lab/shared';
import { checkId, checkKey, checkName } from '../../common/validation';
import type { RegistryContext } from '../../context';
import type { Model, ModelVersion } from '../../store/modelsStore';
import { checkVersionNumber, isReservedAlias } from '../catalog/catalog';

export interface ModelArgs {
  id?: string | null;
  projectId?: string | null;
  name?: string | null;
}

export interface ModelVersionArgs {
  id?: string | null;
  projectId?: string | null;
  model?: string | null;
  alias?: string | null;
  version?: number | null;
}

const given = (v: unknown): boolean => v !== undefined && v !== null;

function bad(message: string, field: string): never {
  throw labError('BAD_USER_INPUT', message, { field });
}

/** The model named `name` in the project, if the caller may read the project; NOT_FOUND otherwise. */
export async function modelByName(ctx: RegistryContext, rawProjectId: string, rawName: string): Promise<Model> {
  const projectId = checkId('project', rawProjectId);
  const name = checkName('name', rawName);
  const what = `model "${name}" in project ${projectId}`;
  await ctx.access.require(projectId, 'VIEWER', what);
  const model = await ctx.loaders.modelsByName.load({ projectId, name });
  if (!model) throw labError('NOT_FOUND', `${what} not found`);
  ctx.loaders.models.prime(model.id, model);
  return model;
}

/** Which form of Query.model: by id, or by project and name. */
export function modelLookup(args: ModelArgs): { id: string } | { projectId: string; name: string } {
  if (given(args.id)) {
    if (given(args.projectId) || given(args.name)) bad('model: give id, or projectId and name, not both', 'id');
    return { id: args.id as string };
  }
  if (!given(args.projectId) || !given(args.name))
    bad('model: give id, or projectId and name', given(args.name) ? 'projectId' : 'name');
  return { projectId: args.projectId as string, name: args.name as string };
}

/** The version behind an alias ("latest": the newest) or number of a named model; NOT_FOUND when there is none. */
export async function versionOfNamedModel(
  ctx: RegistryContext,
  args: ModelVersionArgs,
  versionById: (id: string) => Promise<ModelVersion | null | undefined>,
  versionByNumber: (modelId: string, version: number) => Promise<ModelVersion | null | undefined>,
): Promise<ModelVersion> {
  if (!given(args.projectId) || !given(args.model)) {
    bad('modelVersion: give id, or projectId, model and an alias or version', given(args.model) ? 'projectId' : 'model');
  }
  if (given(args.alias) === given(args.version)) bad('modelVersion: give one of alias and version', 'alias');
  const model = await modelByName(ctx, args.projectId as string, args.model as string);
  const what = `model "${model.name}" in project ${model.projectId}`;
  let version: ModelVersion | null | undefined;
  if (given(args.version)) {
    const number = checkVersionNumber('version', args.version as number);
    version = number <= model.latestVersion ? await versionByNumber(model.id, number) : null;
    if (!version) throw labError('NOT_FOUND', `version ${number} of ${what} not found`);
    return version;
  }
  const alias = checkKey('alias', args.alias as string);
  if (isReservedAlias(alias)) {
    version = model.latestVersion > 0 ? await versionByNumber(model.id, model.latestVersion) : null;
  } else {
    const found = (await ctx.loaders.modelAliases.load(model.id)).find((a) => a.alias === alias);
    version = found ? await versionById(found.modelVersionId) : null;
  }
  if (!version) throw labError('NOT_FOUND', `alias "${alias}" of ${what} not found`);
  return version;
}
