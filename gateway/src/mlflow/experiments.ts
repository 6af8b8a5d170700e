/**
 * MLflow's experiment routes (REST API 2.0 `experiments/...`) as the
 * platform's GraphQL operations: create, get, get-by-name, search (and the
 * older list), update, delete, restore, set-experiment-tag. Naming rule and
 * lifecycle: mapping.ts.
 */
import { invalid, MlflowError, notFound } from './errors';
import {
  DEFAULT_EXPERIMENT_ID,
  DEFAULT_EXPERIMENT_NAME,
  DEFAULT_PROJECT,
  EXPERIMENT_FIELDS,
  type ExperimentRow,
  keyValues,
  NOTE_TAG,
  optionalInt,
  optionalString,
  type Params,
  requiredString,
  splitExperimentName,
  toMlflowExperiment,
} from './mapping';
import type { MlflowSession } from './session';

type Handler = (params: Params, session: MlflowSession) => Promise<object>;

/** The project of this name the caller can see; with create, the default project is made when there is none. */
export async function projectIdByName(session: MlflowSession, name: string, create = false): Promise<string> {
  const found = await session.gql<{ projects: { edges: { node: { id: string; name: string } }[] } }>(
    'query MlflowProject($s: String!) { projects(filter: { search: $s }, first: 100) { edges { node { id name } } } }',
    { s: name },
  );
  const project = found.projects.edges.find((e) => e.node.name === name)?.node;
  if (project) return project.id;
  if (!create || name !== DEFAULT_PROJECT) {
    throw notFound(`No project named '${name}' that you are a member of (MLflow experiment names are <project>/<name>)`);
  }
  try {
    const made = await session.gql<{ createProject: { id: string } }>(
      'mutation MlflowDefaultProject($n: String!) { createProject(input: { name: $n, description: "Experiments created through the MLflow API" }) { id } }',
      { n: name },
    );
    return made.createProject.id;
  } catch (err) {
    if (err instanceof MlflowError && err.errorCode === 'RESOURCE_ALREADY_EXISTS') {
      throw new MlflowError(
        'PERMISSION_DENIED',
        `The project '${DEFAULT_PROJECT}' exists but you are not a member: ask its owner to add you, or name experiments <project>/<name>`,
      );
    }
    throw err;
  }
}

async function experimentByName(session: MlflowSession, mlflowName: string): Promise<ExperimentRow | undefined> {
  const { project, name } = splitExperimentName(mlflowName);
  let projectId: string;
  try {
    projectId = await projectIdByName(session, project);
  } catch (err) {
    if (err instanceof MlflowError && err.errorCode === 'RESOURCE_DOES_NOT_EXIST') return undefined;
    throw err;
  }
  const found = await session.gql<{ experiments: { edges: { node: ExperimentRow }[] } }>(
    `query MlflowExperimentByName($p: ID!, $n: String!) { experiments(filter: { projectId: $p, nameSearch: $n }, first: 100) { edges { node { ${EXPERIMENT_FIELDS} } } } }`,
    { p: projectId, n: name },
  );
  return found.experiments.edges.find((e) => e.node.name === name)?.node;
}

async function createExperimentRow(session: MlflowSession, mlflowName: string, tags: Record<string, string>) {
  const { project, name } = splitExperimentName(mlflowName);
  const projectId = await projectIdByName(session, project, true);
  const description = tags[NOTE_TAG];
  delete tags[NOTE_TAG];
  const made = await session.gql<{ createExperiment: ExperimentRow }>(
    `mutation MlflowCreateExperiment($input: CreateExperimentInput!) { createExperiment(input: $input) { ${EXPERIMENT_FIELDS} } }`,
    { input: { projectId, name, tags, ...(description ? { description } : {}) } },
  );
  return made.createExperiment;
}

/** Our experiment behind an MLflow experiment id ("0" is the default experiment, made on first use). */
export async function experimentById(session: MlflowSession, id: string): Promise<ExperimentRow> {
  if (id === DEFAULT_EXPERIMENT_ID) {
    return (
      (await experimentByName(session, DEFAULT_EXPERIMENT_NAME)) ??
      (await createExperimentRow(session, DEFAULT_EXPERIMENT_NAME, {}))
    );
  }
  const found = await session.gql<{ experiment: ExperimentRow }>(
    `query MlflowExperiment($id: ID!) { experiment(id: $id) { ${EXPERIMENT_FIELDS} } }`,
    { id },
  );
  return found.experiment;
}

async function updateExperiment(session: MlflowSession, id: string, input: Record<string, unknown>) {
  await session.gql(
    'mutation MlflowUpdateExperiment($id: ID!, $input: UpdateExperimentInput!) { updateExperiment(id: $id, input: $input) { id } }',
    {
      id,
      input,
    },
  );
}

/** MLflow's search-experiments filter, as far as our filter goes: name = / LIKE / ILIKE, tags.<key> = '<value>', joined by AND. */
export function experimentFilterOf(filter: string | undefined): {
  nameSearch?: string;
  nameEquals?: string;
  tags?: Record<string, string>;
} {
  if (!filter?.trim()) return {};
  const out: { nameSearch?: string; nameEquals?: string; tags?: Record<string, string> } = {};
  for (const clause of filter.split(/\s+AND\s+/i)) {
    const m =
      /^\s*(?:attributes\.)?(name|tags\.(?:`([^`]+)`|"([^"]+)"|([\w.\-/]+)))\s*(=|LIKE|ILIKE)\s*(?:'((?:[^']|'')*)'|"((?:[^"]|"")*)")\s*$/i.exec(
        clause,
      );
    if (!m)
      throw invalid(
        `Unsupported search-experiments filter clause '${clause.trim()}': use name = / LIKE / ILIKE '...' or tags.<key> = '...', joined by AND`,
      );
    const value = (m[6] ?? m[7] ?? '').replace(/''/g, "'");
    if (m[1]?.toLowerCase() === 'name') {
      if (m[5] === '=') out.nameEquals = value;
      out.nameSearch = value.replace(/^%+|%+$/g, '');
      if (out.nameSearch.includes('%')) throw invalid('A name pattern may have % only at its start and end');
    } else {
      if (m[5] !== '=') throw invalid('Tags of experiments compare with = only');
      out.tags = { ...out.tags, [m[2] ?? m[3] ?? m[4] ?? '']: value };
    }
  }
  return out;
}

const VIEW_STATUS: Record<string, string[] | undefined> = {
  ACTIVE_ONLY: ['DRAFT', 'RUNNING', 'COMPLETED', 'FAILED'],
  DELETED_ONLY: ['ARCHIVED'],
  ALL: undefined,
};

export function viewTypeOf(params: Params, name: string): 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL' {
  const value = params[name] ?? 'ACTIVE_ONLY';
  const known = { ACTIVE_ONLY: 1, DELETED_ONLY: 2, ALL: 3 } as const;
  if (typeof value === 'string' && value in known) return value as keyof typeof known;
  const byNumber = Object.entries(known).find(([, n]) => String(n) === String(value))?.[0];
  if (byNumber) return byNumber as keyof typeof known;
  throw invalid(`Invalid value ${JSON.stringify(value)} for parameter '${name}': ACTIVE_ONLY, DELETED_ONLY or ALL`);
}

const search: Handler = async (params, session) => {
  const maxResults = optionalInt(params, 'max_results') ?? 1000;
  if (maxResults < 1 || maxResults > 50_000) throw invalid(`Invalid value ${maxResults} for parameter 'max_results': 1 to 50000`);
  const view = viewTypeOf(params, 'view_type');
  const filter = experimentFilterOf(optionalString(params, 'filter'));
  const orderBy = (Array.isArray(params.order_by) ? params.order_by : params.order_by ? [params.order_by] : [])[0];
  let order: { field: string; direction: string } | undefined;
  if (typeof orderBy === 'string') {
    const m = /^\s*(?:attributes\.)?(name|creation_time|last_update_time|experiment_id)(?:\s+(ASC|DESC))?\s*$/i.exec(orderBy);
    if (!m) throw invalid(`Invalid order_by clause '${orderBy}': name, creation_time or last_update_time, ASC or DESC`);
    const field = { name: 'NAME', creation_time: 'CREATED_AT', last_update_time: 'UPDATED_AT', experiment_id: 'CREATED_AT' }[
      (m[1] ?? '').toLowerCase()
    ];
    order = { field: field ?? 'CREATED_AT', direction: (m[2] ?? 'ASC').toUpperCase() };
  }
  const found = await session.gql<{
    experiments: { edges: { node: ExperimentRow }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
  }>(
    `query MlflowSearchExperiments($filter: ExperimentFilter, $first: Int, $after: String, $orderBy: ExperimentOrder) {
      experiments(filter: $filter, first: $first, after: $after, orderBy: $orderBy) {
        edges { node { ${EXPERIMENT_FIELDS} } } pageInfo { hasNextPage endCursor } } }`,
    {
      filter: {
        ...(VIEW_STATUS[view] ? { status: VIEW_STATUS[view] } : {}),
        ...(filter.nameSearch ? { nameSearch: filter.nameSearch } : {}),
        ...(filter.tags ? { tags: filter.tags } : {}),
      },
      first: Math.min(maxResults, 100),
      after: optionalString(params, 'page_token'),
      ...(order ? { orderBy: order } : {}),
    },
  );
  const experiments = found.experiments.edges
    .map((e) => toMlflowExperiment(e.node))
    .filter((e) => filter.nameEquals === undefined || e.name === filter.nameEquals || e.name.endsWith(`/${filter.nameEquals}`));
  const { hasNextPage, endCursor } = found.experiments.pageInfo;
  return { experiments, ...(hasNextPage && endCursor ? { next_page_token: endCursor } : {}) };
};

export const experimentHandlers: Record<string, { method: 'GET' | 'POST'; handler: Handler }> = {
  'experiments/create': {
    method: 'POST',
    handler: async (params, session) => {
      const name = requiredString(params, 'name');
      if (params.artifact_location)
        throw invalid("artifact_location is not supported: files go to the platform's S3 (mlflow-artifacts:/)");
      const tags = Object.fromEntries(keyValues(params, 'tags').map((t) => [t.key, t.value]));
      const row = await createExperimentRow(session, name, tags);
      return { experiment_id: row.id };
    },
  },
  'experiments/get': {
    method: 'GET',
    handler: async (params, session) => ({
      experiment: toMlflowExperiment(await experimentById(session, requiredString(params, 'experiment_id'))),
    }),
  },
  'experiments/get-by-name': {
    method: 'GET',
    handler: async (params, session) => {
      const name = requiredString(params, 'experiment_name');
      const row =
        name === DEFAULT_EXPERIMENT_NAME
          ? await experimentById(session, DEFAULT_EXPERIMENT_ID)
          : await experimentByName(session, name);
      if (!row) throw notFound(`Could not find experiment with name '${name}'`);
      return { experiment: toMlflowExperiment(row) };
    },
  },
  'experiments/search': { method: 'POST', handler: search },
  'experiments/list': { method: 'GET', handler: search },
  'experiments/update': {
    method: 'POST',
    handler: async (params, session) => {
      const row = await experimentById(session, requiredString(params, 'experiment_id'));
      const newName = optionalString(params, 'new_name');
      if (newName) {
        const target = splitExperimentName(newName);
        if (target.project !== row.project.name && !(row.project.name === DEFAULT_PROJECT && !newName.includes('/'))) {
          throw invalid(`An experiment cannot move to another project (it is in '${row.project.name}')`);
        }
        await updateExperiment(session, row.id, { name: target.name });
      }
      return {};
    },
  },
  'experiments/delete': {
    method: 'POST',
    handler: async (params, session) => {
      const row = await experimentById(session, requiredString(params, 'experiment_id'));
      if (row.status !== 'ARCHIVED') await updateExperiment(session, row.id, { status: 'ARCHIVED' });
      return {};
    },
  },
  'experiments/restore': {
    method: 'POST',
    handler: async (params, session) => {
      const row = await experimentById(session, requiredString(params, 'experiment_id'));
      if (row.status === 'ARCHIVED') await updateExperiment(session, row.id, { status: 'DRAFT' });
      return {};
    },
  },
  'experiments/set-experiment-tag': {
    method: 'POST',
    handler: async (params, session) => {
      const row = await experimentById(session, requiredString(params, 'experiment_id'));
      const key = requiredString(params, 'key');
      const value = params.value === undefined || params.value === null ? '' : String(params.value);
      if (key === NOTE_TAG) await updateExperiment(session, row.id, { description: value });
      else await updateExperiment(session, row.id, { tags: { ...row.tags, [key]: value } });
      return {};
    },
  },
  'experiments/delete-tag': {
    method: 'POST',
    handler: async (params, session) => {
      const row = await experimentById(session, requiredString(params, 'experiment_id'));
      const key = requiredString(params, 'key');
      if (!(key in row.tags)) throw notFound(`No tag with key '${key}' in experiment ${row.id}`);
      const { [key]: _gone, ...rest } = row.tags;
      await updateExperiment(session, row.id, { tags: rest });
      return {};
    },
  },
};

/** An experiment id a run request names, checked to exist: MLflow's "0" resolved. */
export async function resolveExperimentId(session: MlflowSession, id: string): Promise<string> {
  return id === DEFAULT_EXPERIMENT_ID ? (await experimentById(session, id)).id : id;
}
