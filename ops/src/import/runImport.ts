/**
 * One MLflow run imported into a platform experiment: found by its
 * `mlflow.run_id` tag or started (name, start time, source, params, tags),
 * then its params beyond the first call and its notes, its metrics, its
 * artifacts, its end (finishRun with MLflow's status and end time), and last
 * the `lab.import: complete` tag. A run carrying that tag is left alone; one
 * without it (an import interrupted) is completed: every step is idempotent.
 */
import { uploadArtifacts } from './artifactUpload';
import { importMetric, type RetentionState } from './metricImport';
import { filesBelow, type MlflowRun } from './mlflowFiles';
import type { PlatformClient } from './platformClient';
import { COMPLETE_TAG, COMPLETE_VALUE, type LeftOut, RUN_ID_TAG, runFields } from './runFields';

const FIND_RUN = `query($e: ID!, $tags: JSONObject!) { runs(filter: { experimentId: $e, tags: $tags }, first: 1) {
  edges { node { id status tags metrics { name count } } } } }`;
const START_RUN = `mutation($i: StartRunInput!) { startRun(input: $i) { id } }`;
const UPDATE_RUN = `mutation($id: ID!, $i: UpdateRunInput!) { updateRun(id: $id, input: $i) { id } }`;
const FINISH_RUN = `mutation($id: ID!, $s: RunEndStatus, $t: DateTime) { finishRun(id: $id, status: $s, endTime: $t) { id } }`;

interface FoundRun {
  id: string;
  status: string;
  tags: Record<string, string>;
  metrics: { name: string; count: number }[] | null;
}

/** What the import of one run did. */
export interface RunOutcome {
  kind: 'imported' | 'completed' | 'alreadyImported';
  runId: string;
  params: number;
  tags: number;
  metrics: number;
  pointsSent: number;
  pointsAlreadyThere: number;
  invalidPoints: number;
  artifactsUploaded: number;
  artifactBytes: number;
  artifactsAlreadyThere: number;
}

export interface RunContext {
  client: PlatformClient;
  retention: RetentionState;
  leftOut: LeftOut[];
}

export async function importRun(ctx: RunContext, experimentId: string, run: MlflowRun): Promise<RunOutcome> {
  const { client } = ctx;
  const found = await client.gql<{ runs: { edges: { node: FoundRun }[] } }>(FIND_RUN, {
    e: experimentId,
    tags: { [RUN_ID_TAG]: run.id },
  });
  const existing = found.runs.edges[0]?.node;
  const outcome: RunOutcome = {
    kind: existing ? 'completed' : 'imported',
    runId: existing?.id ?? '',
    params: 0,
    tags: 0,
    metrics: 0,
    pointsSent: 0,
    pointsAlreadyThere: 0,
    invalidPoints: 0,
    artifactsUploaded: 0,
    artifactBytes: 0,
    artifactsAlreadyThere: 0,
  };
  if (existing?.tags[COMPLETE_TAG] === COMPLETE_VALUE) return { ...outcome, kind: 'alreadyImported' };

  const leftOut: LeftOut[] = [];
  const fields = runFields(run, leftOut);
  ctx.leftOut.push(...leftOut.map((l) => ({ what: `run ${run.id} ${l.what}`, reason: l.reason })));
  const [firstParams, ...moreParams] = existing ? [undefined, ...fields.paramBatches] : fields.paramBatches;
  let runId = existing?.id;
  if (runId === undefined) {
    const input = {
      experimentId,
      name: fields.name,
      params: firstParams,
      tags: fields.tags,
      startTime: fields.startTime,
      source: fields.source,
    };
    runId = (await client.gql<{ startRun: { id: string } }>(START_RUN, { i: input })).startRun.id;
    outcome.runId = runId;
  } else {
    await client.gql(UPDATE_RUN, { id: runId, i: { addTags: fields.tags } });
  }
  for (const params of moreParams) {
    if (params) await client.gql(UPDATE_RUN, { id: runId, i: { addParams: params } });
  }
  if (fields.notes !== undefined) await client.gql(UPDATE_RUN, { id: runId, i: { notes: fields.notes } });
  outcome.params = fields.paramBatches.reduce((n, batch) => n + Object.keys(batch).length, 0);
  outcome.tags = Object.keys(fields.tags).length;

  const stored = new Map((existing?.metrics ?? []).map((m) => [m.name, m.count]));
  for (const [name, file] of run.metrics) {
    const metricLeftOut: LeftOut[] = [];
    const sent = await importMetric(client, runId, name, file, stored.get(name) ?? 0, ctx.retention, metricLeftOut);
    ctx.leftOut.push(...metricLeftOut.map((l) => ({ what: `run ${run.id} ${l.what}`, reason: l.reason })));
    outcome.metrics++;
    outcome.pointsSent += sent.sent;
    outcome.pointsAlreadyThere += sent.alreadyThere;
    outcome.invalidPoints += sent.invalid;
  }

  if (run.artifactsDir) {
    const uploads = await uploadArtifacts(client, runId, run.artifactsDir, await filesBelow(run.artifactsDir));
    outcome.artifactsUploaded = uploads.uploaded;
    outcome.artifactBytes = uploads.bytes;
    outcome.artifactsAlreadyThere = uploads.alreadyThere;
    for (const r of uploads.refused) ctx.leftOut.push({ what: `run ${run.id} artifact ${r.name}`, reason: r.reason });
  }

  if (fields.status !== 'RUNNING' && (existing?.status ?? 'RUNNING') === 'RUNNING') {
    await client.gql(FINISH_RUN, { id: runId, s: fields.status, t: fields.endTime });
  }
  await client.gql(UPDATE_RUN, { id: runId, i: { addTags: { [COMPLETE_TAG]: COMPLETE_VALUE } } });
  return outcome;
}
