/**
 * MLflow's run routes (REST API 2.0 `runs/...`) as the platform's GraphQL
 * operations (startRun, finishRun, updateRun, run, runs) and, for metric
 * points, the path of POST /v1/metrics: create, get, update, delete,
 * restore, search, log-metric, log-batch, log-parameter, set-tag,
 * delete-tag, log-inputs (datasets as lineage: inputs.ts), log-model.
 * Mapping rules: mapping.ts.
 */
import { METRIC_NAME, METRIC_NAME_RULE } from '@lab/shared';
import { invalid, notFound } from './errors';
import { resolveExperimentId, viewTypeOf } from './experiments';
import { inputChanges, loggedDatasets } from './inputs';
import {
  generatedRunName,
  isoOf,
  keyValues,
  LIFECYCLE_TAG,
  optionalInt,
  optionalString,
  ourRunStatus,
  type Params,
  RUN_FIELDS,
  RUN_NAME_TAG,
  type RunRow,
  requiredString,
  stringList,
  toMlflowRun,
  toMlflowRunInfo,
  toObject,
} from './mapping';
import type { MlflowSession } from './session';

type Handler = (params: Params, session: MlflowSession) => Promise<object>;

/** log-batch's limits, as MLflow's server has them. */
export const LOG_BATCH_LIMITS = { metrics: 1000, params: 100, tags: 100, total: 1000 } as const;

function runIdOf(params: Params): string {
  return requiredString(params, 'run_id', 'run_uuid');
}

export async function getRun(session: MlflowSession, id: string): Promise<RunRow> {
  const found = await session.gql<{ run: RunRow }>(`query MlflowRun($id: ID!) { run(id: $id) { ${RUN_FIELDS} } }`, { id });
  return found.run;
}

async function updateRun(session: MlflowSession, id: string, input: Record<string, unknown>): Promise<void> {
  await session.gql('mutation MlflowUpdateRun($id: ID!, $input: UpdateRunInput!) { updateRun(id: $id, input: $input) { id } }', {
    id,
    input,
  });
}

interface MetricIn {
  key: string;
  value: number;
  timestamp: number;
  step: number;
}

function metricOf(entry: unknown, where: string): MetricIn {
  const m = (entry ?? {}) as Record<string, unknown>;
  if (typeof m.key !== 'string' || m.key === '') throw invalid(`Missing value for required parameter '${where}.key'`);
  const value = typeof m.value === 'string' ? Number(m.value) : m.value;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw invalid(
      `Invalid value ${JSON.stringify(m.value)} for parameter '${where}.value': a finite number (NaN and Infinity are not stored)`,
    );
  }
  const timestamp = m.timestamp === undefined || m.timestamp === null ? Date.now() : Number(m.timestamp);
  const step = m.step === undefined || m.step === null ? 0 : Number(m.step);
  if (!Number.isSafeInteger(timestamp))
    throw invalid(`Invalid value ${JSON.stringify(m.timestamp)} for parameter '${where}.timestamp'`);
  if (!Number.isSafeInteger(step) || step < 0)
    throw invalid(`Invalid value ${JSON.stringify(m.step)} for parameter '${where}.step': an integer from 0`);
  return { key: m.key, value, timestamp, step };
}

/** NDJSON lines for the ingest route; its validation (names, retention) answers for each point. */
function ndjsonOf(runId: string, metrics: MetricIn[]): string {
  let text = '';
  const id = JSON.stringify(runId);
  for (const m of metrics) {
    text += `{"runId":${id},"name":${JSON.stringify(m.key)},"value":${m.value},"step":${m.step},"timestamp":${m.timestamp}}\n`;
  }
  return text;
}

/** Params, tags (and input dataset versions) of a log-batch, set-tag or log-inputs, in one updateRun: mlflow.runName renames the run. */
async function writeParamsAndTags(
  session: MlflowSession,
  runId: string,
  params: { key: string; value: string }[],
  tags: { key: string; value: string }[],
  addInputs: string[] = [],
): Promise<void> {
  const input: Record<string, unknown> = {};
  if (addInputs.length > 0) input.addInputs = addInputs;
  const ownTags = tags.filter((t) => t.key !== RUN_NAME_TAG && t.key !== LIFECYCLE_TAG);
  const rename = tags.find((t) => t.key === RUN_NAME_TAG);
  if (rename?.value) input.name = rename.value;
  if (params.length > 0) input.addParams = toObject(params);
  if (ownTags.length > 0) input.addTags = toObject(ownTags);
  if (Object.keys(input).length > 0) await updateRun(session, runId, input);
}

/**
 * The run's source from MLflow's system tags (they stay tags too): mlflow.source.git.commit is its commit,
 * mlflow.source.git.branch its branch, mlflow.source.name its entry point; values our rules would refuse are left out.
 */
export function sourceOf(tags: Record<string, string>): Record<string, string> | undefined {
  const source: Record<string, string> = {};
  const commit = tags['mlflow.source.git.commit'];
  if (commit && /^[0-9a-fA-F]{7,64}$/.test(commit)) source.commit = commit.toLowerCase();
  const branch = tags['mlflow.source.git.branch'];
  if (branch && /^[\w./-]{1,255}$/.test(branch) && !branch.includes('..')) source.branch = branch;
  const entryPoint = tags['mlflow.source.name'];
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (entryPoint && entryPoint.length <= 1024 && !/[\u0000-\u001f\u007f]/.test(entryPoint)) source.entryPoint = entryPoint;
  return Object.keys(source).length > 0 ? source : undefined;
}

const ORDER_ATTRIBUTES: Record<string, string> = {
  start_time: 'START_TIME',
  run_name: 'NAME',
  name: 'NAME',
  created: 'CREATED_AT',
};

/** The first order_by clause as our RunOrder: start_time, run_name or metrics.<name>, ASC or DESC. */
export function runOrderOf(clauses: string[]): Record<string, unknown> | undefined {
  const clause = clauses[0];
  if (clause === undefined) return { field: 'START_TIME', direction: 'DESC' };
  const m = /^\s*(?:(?:attributes?|attr|run)\.)?(.+?)(?:\s+(ASC|DESC))?\s*$/i.exec(clause);
  const key = (m?.[1] ?? '').replace(/^[`"]|[`"]$/g, '');
  const direction = (m?.[2] ?? 'ASC').toUpperCase();
  const metric = /^metrics?\.[`"]?([^`"]+)[`"]?$/.exec(key);
  if (metric) return { metric: { name: metric[1] }, direction };
  const field = ORDER_ATTRIBUTES[key.toLowerCase()];
  if (!field) throw invalid(`Invalid order_by clause '${clause}': start_time, run_name or metrics.<name>, then ASC or DESC`);
  return { field, direction };
}

/** MLflow's statuses inside a filter, as ours (FINISHED is COMPLETED, SCHEDULED is RUNNING). */
export function runFilterOf(filter: string | undefined, experimentIds: string[], view: string): string {
  const parts: string[] = [];
  if (filter?.trim()) {
    const ours = /status/i.test(filter)
      ? filter.replace(/(['"])FINISHED\1/gi, "'COMPLETED'").replace(/(['"])SCHEDULED\1/gi, "'RUNNING'")
      : filter;
    parts.push(`(${ours})`);
  }
  if (experimentIds.length > 0)
    parts.push(`experiment_id IN (${experimentIds.map((id) => `'${id.replace(/'/g, "''")}'`).join(', ')})`);
  if (view === 'ACTIVE_ONLY') parts.push(`tags.\`${LIFECYCLE_TAG}\` IS NULL`);
  if (view === 'DELETED_ONLY') parts.push(`tags.\`${LIFECYCLE_TAG}\` = 'deleted'`);
  return parts.join(' AND ');
}

const search: Handler = async (params, session) => {
  const maxResults = optionalInt(params, 'max_results') ?? 1000;
  if (maxResults < 1 || maxResults > 50_000) throw invalid(`Invalid value ${maxResults} for parameter 'max_results': 1 to 50000`);
  const experimentIds = await Promise.all(stringList(params, 'experiment_ids').map((id) => resolveExperimentId(session, id)));
  const searchText = runFilterOf(optionalString(params, 'filter'), experimentIds, viewTypeOf(params, 'run_view_type'));
  const found = await session.gql<{
    runs: { edges: { node: RunRow }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
  }>(
    `query MlflowSearchRuns($search: String, $first: Int, $after: String, $orderBy: RunOrder) {
      runs(search: $search, first: $first, after: $after, orderBy: $orderBy) { edges { node { ${RUN_FIELDS} } } pageInfo { hasNextPage endCursor } } }`,
    {
      search: searchText || undefined,
      first: Math.min(maxResults, 100),
      after: optionalString(params, 'page_token'),
      orderBy: runOrderOf(stringList(params, 'order_by')),
    },
  );
  const { hasNextPage, endCursor } = found.runs.pageInfo;
  return {
    runs: found.runs.edges.map((e) => toMlflowRun(e.node)),
    ...(hasNextPage && endCursor ? { next_page_token: endCursor } : {}),
  };
};

export const runHandlers: Record<string, { method: 'GET' | 'POST'; handler: Handler }> = {
  'runs/create': {
    method: 'POST',
    handler: async (params, session) => {
      const experimentId = await resolveExperimentId(session, optionalString(params, 'experiment_id') ?? '0');
      const tags = keyValues(params, 'tags');
      const name = optionalString(params, 'run_name') ?? tags.find((t) => t.key === RUN_NAME_TAG)?.value ?? generatedRunName();
      const ownTags = toObject(tags.filter((t) => t.key !== RUN_NAME_TAG && t.key !== LIFECYCLE_TAG));
      const source = sourceOf(ownTags);
      const made = await session.gql<{ startRun: RunRow }>(
        `mutation MlflowCreateRun($input: StartRunInput!) { startRun(input: $input) { ${RUN_FIELDS} } }`,
        {
          input: {
            experimentId,
            name,
            tags: ownTags,
            startTime: isoOf(optionalInt(params, 'start_time')),
            ...(source ? { source } : {}),
          },
        },
      );
      return { run: toMlflowRun(made.startRun) };
    },
  },
  'runs/get': {
    method: 'GET',
    handler: async (params, session) => ({ run: toMlflowRun(await getRun(session, runIdOf(params))) }),
  },
  'runs/update': {
    method: 'POST',
    handler: async (params, session) => {
      const id = runIdOf(params);
      const status = params.status === undefined ? undefined : ourRunStatus(params.status);
      const endTime = isoOf(optionalInt(params, 'end_time'));
      const name = optionalString(params, 'run_name');
      let run = await getRun(session, id);
      if (name && name !== run.name) await updateRun(session, id, { name });
      if (status && status !== run.status) {
        if (run.status === 'RUNNING') {
          await session.gql(
            'mutation MlflowFinishRun($id: ID!, $status: RunEndStatus, $endTime: DateTime) { finishRun(id: $id, status: $status, endTime: $endTime) { id } }',
            {
              id,
              status,
              endTime,
            },
          );
        } else {
          await updateRun(session, id, { status });
        }
      }
      if (name || status) run = await getRun(session, id);
      return { run_info: toMlflowRunInfo(run) };
    },
  },
  'runs/delete': {
    method: 'POST',
    handler: async (params, session) => {
      await updateRun(session, runIdOf(params), { addTags: { [LIFECYCLE_TAG]: 'deleted' } });
      return {};
    },
  },
  'runs/restore': {
    method: 'POST',
    handler: async (params, session) => {
      await updateRun(session, runIdOf(params), { removeTags: [LIFECYCLE_TAG] });
      return {};
    },
  },
  'runs/search': { method: 'POST', handler: search },
  'runs/log-metric': {
    method: 'POST',
    handler: async (params, session) => {
      const runId = runIdOf(params);
      const metric = metricOf(params, 'metric');
      await session.ingest(ndjsonOf(runId, [metric]));
      return {};
    },
  },
  'runs/log-batch': {
    method: 'POST',
    handler: async (params, session) => {
      const runId = runIdOf(params);
      const list = (name: string) => {
        const value = params[name];
        if (value === undefined || value === null) return [];
        if (!Array.isArray(value)) throw invalid(`Invalid value for parameter '${name}': must be a list`);
        return value as unknown[];
      };
      const rawMetrics = list('metrics');
      const batchParams = keyValues(params, 'params');
      const tags = keyValues(params, 'tags');
      for (const [name, count] of [
        ['metrics', rawMetrics.length],
        ['params', batchParams.length],
        ['tags', tags.length],
      ] as const) {
        if (count > LOG_BATCH_LIMITS[name]) {
          throw invalid(`A batch logging request can contain at most ${LOG_BATCH_LIMITS[name]} ${name}. Got ${count} ${name}.`);
        }
      }
      const total = rawMetrics.length + batchParams.length + tags.length;
      if (total > LOG_BATCH_LIMITS.total) {
        throw invalid(
          `A batch logging request can contain at most ${LOG_BATCH_LIMITS.total} metrics, params, and tags in total. Got ${total}.`,
        );
      }
      const metrics = rawMetrics.map((m, i) => metricOf(m, `metrics[${i}]`));
      // Names are checked here too, so a bad one refuses the batch before its params and tags are written.
      const badName = metrics.find((m) => !METRIC_NAME.test(m.key));
      if (badName) throw invalid(`Invalid metric name '${badName.key}': names must match ${METRIC_NAME_RULE}`);
      const keys = new Set<string>();
      for (const p of batchParams) {
        if (keys.has(p.key)) throw invalid(`Duplicate parameter keys have been submitted: ${p.key}`);
        keys.add(p.key);
      }
      await writeParamsAndTags(session, runId, batchParams, tags);
      if (metrics.length > 0) await session.ingest(ndjsonOf(runId, metrics), session.idempotencyKey);
      return {};
    },
  },
  'runs/log-parameter': {
    method: 'POST',
    handler: async (params, session) => {
      const key = requiredString(params, 'key');
      const value = params.value === undefined || params.value === null ? '' : String(params.value);
      await writeParamsAndTags(session, runIdOf(params), [{ key, value }], []);
      return {};
    },
  },
  'runs/set-tag': {
    method: 'POST',
    handler: async (params, session) => {
      const key = requiredString(params, 'key');
      const value = params.value === undefined || params.value === null ? '' : String(params.value);
      await writeParamsAndTags(session, runIdOf(params), [], [{ key, value }]);
      return {};
    },
  },
  'runs/delete-tag': {
    method: 'POST',
    handler: async (params, session) => {
      const id = runIdOf(params);
      const key = requiredString(params, 'key');
      const run = await getRun(session, id);
      if (!(key in run.tags)) throw notFound(`No tag with name: ${key} in run with id ${id}`);
      await updateRun(session, id, { removeTags: [key] });
      return {};
    },
  },
  'runs/log-inputs': {
    method: 'POST',
    handler: async (params, session) => {
      const id = runIdOf(params);
      const { addInputs, tags } = await inputChanges(session, id, loggedDatasets(params.datasets));
      await writeParamsAndTags(session, id, [], tags, addInputs);
      return {};
    },
  },
  // The model's files are in the run's artifacts already; the history tag MLflow keeps is not recorded.
  'runs/log-model': {
    method: 'POST',
    handler: async (params, session) => {
      await getRun(session, runIdOf(params));
      return {};
    },
  },
};
