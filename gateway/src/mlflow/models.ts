/**
 * MLflow's model registry routes (`registered-models/...`,
 * `model-versions/...`) as our models, versions and aliases. A registered
 * model's MLflow name follows the experiments' rule, `<project>/<model>` or
 * a plain name in the project `mlflow`; versions are our numbered versions
 * (MLflow's version strings), `source` kept in the version's metadata, run_id
 * its source run; MLflow's aliases are ours, and a stage transition sets the
 * alias named after the stage in lower case (staging, production; Archived
 * and None remove them).
 */
import { invalid, notFound } from './errors';
import { projectIdByName } from './experiments';
import {
  keyValues,
  mlflowExperimentName,
  optionalInt,
  optionalString,
  type Params,
  requiredString,
  splitExperimentName,
  toObject,
} from './mapping';
import type { MlflowSession } from './session';

type Handler = (params: Params, session: MlflowSession) => Promise<object>;

const VERSION_FIELDS = 'id version description tags metadata aliases createdAt sourceRun { id }';
const MODEL_FIELDS = `id name description tags createdAt updatedAt project { name } aliases { alias version { version } } latestVersion { ${VERSION_FIELDS} }`;

interface VersionRow {
  id: string;
  version: number;
  description: string;
  tags: Record<string, string>;
  metadata: Record<string, unknown>;
  aliases: string[];
  createdAt: string;
  sourceRun: { id: string } | null;
}
interface ModelRow {
  id: string;
  name: string;
  description: string;
  tags: Record<string, string>;
  createdAt: string;
  updatedAt: string;
  project: { name: string };
  aliases: { alias: string; version: { version: number } }[];
  latestVersion: VersionRow | null;
}

const pairs = (o: Record<string, unknown>) => Object.entries(o).map(([key, value]) => ({ key, value: String(value) }));

function toVersion(name: string, v: VersionRow) {
  return {
    name,
    version: String(v.version),
    creation_timestamp: Date.parse(v.createdAt),
    last_updated_timestamp: Date.parse(v.createdAt),
    description: v.description,
    source: typeof v.metadata.source === 'string' ? v.metadata.source : '',
    ...(v.sourceRun ? { run_id: v.sourceRun.id } : {}),
    status: 'READY',
    current_stage: v.aliases.includes('production') ? 'Production' : v.aliases.includes('staging') ? 'Staging' : 'None',
    tags: pairs(v.tags),
    aliases: v.aliases,
  };
}

function toModel(m: ModelRow) {
  const name = mlflowExperimentName(m.project.name, m.name);
  return {
    name,
    creation_timestamp: Date.parse(m.createdAt),
    last_updated_timestamp: Date.parse(m.updatedAt),
    description: m.description,
    latest_versions: m.latestVersion ? [toVersion(name, m.latestVersion)] : [],
    tags: pairs(m.tags),
    aliases: m.aliases.map((a) => ({ alias: a.alias, version: String(a.version.version) })),
  };
}

async function modelByName(session: MlflowSession, mlflowName: string): Promise<ModelRow> {
  const { project, name } = splitExperimentName(mlflowName);
  const projectId = await projectIdByName(session, project);
  const found = await session.gql<{ model: ModelRow | null }>(
    `query MlflowModel($p: ID!, $n: String!) { model(projectId: $p, name: $n) { ${MODEL_FIELDS} } }`,
    {
      p: projectId,
      n: name,
    },
  );
  if (!found.model) throw notFound(`Registered Model with name=${mlflowName} not found`);
  return found.model;
}

async function versionOf(session: MlflowSession, model: ModelRow, version: number): Promise<VersionRow> {
  const found = await session.gql<{ model: { version: VersionRow | null } }>(
    `query MlflowModelVersion($id: ID!, $v: Int!) { model(id: $id) { version(number: $v) { ${VERSION_FIELDS} } } }`,
    { id: model.id, v: version },
  );
  if (!found.model.version) throw notFound(`Model Version (name=${toModel(model).name}, version=${version}) not found`);
  return found.model.version;
}

function versionNumber(params: Params): number {
  const v = Number(requiredString(params, 'version'));
  if (!Number.isSafeInteger(v) || v < 1)
    throw invalid(`Invalid value '${String(params.version)}' for parameter 'version': a positive integer`);
  return v;
}

async function setAlias(session: MlflowSession, model: ModelRow, alias: string, version: number) {
  await session.gql(
    'mutation MlflowSetAlias($m: ID!, $a: String!, $v: Int!) { setModelAlias(modelId: $m, alias: $a, version: $v) { alias } }',
    {
      m: model.id,
      a: alias,
      v: version,
    },
  );
}
async function deleteAlias(session: MlflowSession, model: ModelRow, alias: string) {
  await session.gql('mutation MlflowDeleteAlias($m: ID!, $a: String!) { deleteModelAlias(modelId: $m, alias: $a) }', {
    m: model.id,
    a: alias,
  });
}

export const modelHandlers: Record<string, { method: 'GET' | 'POST'; handler: Handler }> = {
  'registered-models/create': {
    method: 'POST',
    handler: async (params, session) => {
      const mlflowName = requiredString(params, 'name');
      const { project, name } = splitExperimentName(mlflowName);
      const projectId = await projectIdByName(session, project, true);
      const made = await session.gql<{ registerModel: ModelRow }>(
        `mutation MlflowRegisterModel($input: RegisterModelInput!) { registerModel(input: $input) { ${MODEL_FIELDS} } }`,
        {
          input: {
            projectId,
            name,
            description: optionalString(params, 'description'),
            tags: toObject(keyValues(params, 'tags')),
          },
        },
      );
      return { registered_model: toModel(made.registerModel) };
    },
  },
  'registered-models/get': {
    method: 'GET',
    handler: async (params, session) => ({
      registered_model: toModel(await modelByName(session, requiredString(params, 'name'))),
    }),
  },
  'registered-models/search': {
    method: 'GET',
    handler: async (params, session) => {
      const filter = optionalString(params, 'filter');
      const m = filter ? /^\s*name\s*(?:=|I?LIKE)\s*'([^']*)'\s*$/i.exec(filter) : null;
      if (filter && !m) throw invalid(`Unsupported filter '${filter}': name = '...' or name LIKE '%...%'`);
      const maxResults = Math.min(optionalInt(params, 'max_results') ?? 100, 100);
      const found = await session.gql<{
        models: { edges: { node: ModelRow }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
      }>(
        `query MlflowSearchModels($filter: ModelFilter, $first: Int, $after: String) { models(filter: $filter, first: $first, after: $after) { edges { node { ${MODEL_FIELDS} } } pageInfo { hasNextPage endCursor } } }`,
        {
          filter: m ? { nameSearch: splitExperimentName((m[1] ?? '').replace(/^%+|%+$/g, '')).name } : {},
          first: maxResults,
          after: optionalString(params, 'page_token'),
        },
      );
      const { hasNextPage, endCursor } = found.models.pageInfo;
      return {
        registered_models: found.models.edges.map((e) => toModel(e.node)),
        ...(hasNextPage && endCursor ? { next_page_token: endCursor } : {}),
      };
    },
  },
  'model-versions/create': {
    method: 'POST',
    handler: async (params, session) => {
      const model = await modelByName(session, requiredString(params, 'name'));
      const source = optionalString(params, 'source');
      const made = await session.gql<{ createModelVersion: VersionRow }>(
        `mutation MlflowCreateVersion($input: CreateModelVersionInput!) { createModelVersion(input: $input) { ${VERSION_FIELDS} } }`,
        {
          input: {
            modelId: model.id,
            description: optionalString(params, 'description'),
            sourceRunId: optionalString(params, 'run_id'),
            tags: toObject(keyValues(params, 'tags')),
            metadata: source ? { source } : {},
          },
        },
      );
      return { model_version: toVersion(toModel(model).name, made.createModelVersion) };
    },
  },
  'model-versions/get': {
    method: 'GET',
    handler: async (params, session) => {
      const model = await modelByName(session, requiredString(params, 'name'));
      return { model_version: toVersion(toModel(model).name, await versionOf(session, model, versionNumber(params))) };
    },
  },
  'model-versions/transition-stage': {
    method: 'POST',
    handler: async (params, session) => {
      const model = await modelByName(session, requiredString(params, 'name'));
      const version = versionNumber(params);
      const stage = requiredString(params, 'stage').toLowerCase();
      if (!['staging', 'production', 'archived', 'none'].includes(stage)) throw invalid(`Invalid Model Version stage: ${stage}`);
      const current = await versionOf(session, model, version);
      for (const alias of ['staging', 'production']) {
        if (alias === stage) await setAlias(session, model, alias, version);
        else if (current.aliases.includes(alias)) await deleteAlias(session, model, alias);
      }
      return { model_version: toVersion(toModel(model).name, await versionOf(session, model, version)) };
    },
  },
  'registered-models/alias': {
    method: 'POST',
    handler: async (params, session) => {
      const model = await modelByName(session, requiredString(params, 'name'));
      await setAlias(session, model, requiredString(params, 'alias'), versionNumber(params));
      return {};
    },
  },
  'DELETE registered-models/alias': {
    method: 'POST',
    handler: async (params, session) => {
      const model = await modelByName(session, requiredString(params, 'name'));
      await deleteAlias(session, model, requiredString(params, 'alias'));
      return {};
    },
  },
  'model-versions/get-download-uri': {
    method: 'GET',
    handler: async (params, session) => {
      const model = await modelByName(session, requiredString(params, 'name'));
      const version = await versionOf(session, model, versionNumber(params));
      return { artifact_uri: toVersion(toModel(model).name, version).source };
    },
  },
  'registered-models/get-latest-versions': {
    method: 'POST',
    handler: async (params, session) => {
      const model = await modelByName(session, requiredString(params, 'name'));
      const name = toModel(model).name;
      const stages = (Array.isArray(params.stages) ? params.stages : params.stages ? [params.stages] : []).map((s) =>
        String(s).toLowerCase(),
      );
      if (stages.length === 0) return { model_versions: model.latestVersion ? [toVersion(name, model.latestVersion)] : [] };
      const versions: ReturnType<typeof toVersion>[] = [];
      for (const stage of ['staging', 'production']) {
        const aliased = model.aliases.find((a) => a.alias === stage);
        if (stages.includes(stage) && aliased)
          versions.push(toVersion(name, await versionOf(session, model, aliased.version.version)));
      }
      return { model_versions: versions };
    },
  },
  'registered-models/get-model-version-by-alias': {
    method: 'GET',
    handler: async (params, session) => {
      const model = await modelByName(session, requiredString(params, 'name'));
      const alias = requiredString(params, 'alias');
      const found = await session.gql<{ model: { alias: VersionRow | null } }>(
        `query MlflowByAlias($id: ID!, $a: String!) { model(id: $id) { alias(name: $a) { ${VERSION_FIELDS} } } }`,
        { id: model.id, a: alias },
      );
      if (!found.model.alias) throw notFound(`Registered model alias ${alias} not found.`);
      return { model_version: toVersion(toModel(model).name, found.model.alias) };
    },
  },
};
