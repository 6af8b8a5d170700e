/**
 * Imports an MLflow file store (an `mlruns` folder) into a project through
 * the platform's public APIs (docs/operations/import-mlflow.md): each live
 * experiment becomes an experiment of the same name (found by name when it
 * exists), each live run a run (found by its `mlflow.run_id` tag), with its
 * params, tags, metrics and artifacts. Running it again changes nothing that
 * was imported, and completes what an interrupted import left.
 */
import { type ImportSummary, newSummary, type SummaryRun } from './importSummary';
import { newRetentionState } from './metricImport';
import { type MlflowExperiment, readExperiments, readRun, runIdsOf } from './mlflowFiles';
import { PlatformClient } from './platformClient';
import { platformName } from './runFields';
import { importRun, type RunContext } from './runImport';

const PROJECT = `query($id: ID!) { project(id: $id) { id name } }`;
const FIND_EXPERIMENTS = `query($p: ID!, $name: String!, $after: String) {
  experiments(filter: { projectId: $p, nameSearch: $name }, first: 100, after: $after) {
    edges { node { id name } } pageInfo { hasNextPage endCursor } } }`;
const CREATE_EXPERIMENT = `mutation($i: CreateExperimentInput!) { createExperiment(input: $i) { id } }`;

export interface ImportOptions {
  /** The gateway's address, e.g. http://localhost:4000. */
  url: string;
  apiKey: string;
  projectId: string;
  /** Called after each run (progress). */
  onRun?: (run: SummaryRun) => void;
}

async function findExperiment(client: PlatformClient, projectId: string, name: string): Promise<string | undefined> {
  let after: string | null = null;
  for (;;) {
    type Page = {
      experiments: {
        edges: { node: { id: string; name: string } }[];
        pageInfo: { hasNextPage: boolean; endCursor: string | null };
      };
    };
    const page: Page = await client.gql<Page>(FIND_EXPERIMENTS, { p: projectId, name, after });
    const match = page.experiments.edges.find((e) => e.node.name === name);
    if (match) return match.node.id;
    if (!page.experiments.pageInfo.hasNextPage) return undefined;
    after = page.experiments.pageInfo.endCursor;
  }
}

/** The platform experiment an MLflow experiment goes to: the project's experiment of that name, else a new one. */
async function experimentFor(
  client: PlatformClient,
  projectId: string,
  experiment: MlflowExperiment,
  summary: ImportSummary,
): Promise<string> {
  const name = platformName(experiment.name, `mlflow-experiment-${experiment.id}`);
  const existing = await findExperiment(client, projectId, name);
  if (existing) {
    summary.experiments.reused++;
    return existing;
  }
  const tags: Record<string, string> = { 'mlflow.experiment_id': experiment.id };
  const description = experiment.tags['mlflow.note.content'];
  const input = { projectId, name, tags, description: description && description.length <= 10_000 ? description : undefined };
  const id = (await client.gql<{ createExperiment: { id: string } }>(CREATE_EXPERIMENT, { i: input })).createExperiment.id;
  summary.experiments.created++;
  return id;
}

/** Imports every live experiment and run below `root`; the summary of what was done and left out. */
export async function importMlflow(root: string, options: ImportOptions): Promise<ImportSummary> {
  const started = performance.now();
  const client = new PlatformClient(options.url.replace(/\/+$/, ''), options.apiKey);
  const experiments = await readExperiments(root);
  await client.gql(PROJECT, { id: options.projectId });
  const summary = newSummary();
  const ctx: RunContext = { client, retention: newRetentionState(), leftOut: summary.leftOut };
  for (const experiment of experiments) {
    if (experiment.deleted) {
      summary.experiments.deletedSkipped++;
      continue;
    }
    const experimentId = await experimentFor(client, options.projectId, experiment, summary);
    for (const mlflowRunId of await runIdsOf(experiment)) {
      const run = await readRun(experiment, mlflowRunId);
      if (run.deleted) {
        summary.runs.deletedSkipped++;
        continue;
      }
      const outcome = await importRun(ctx, experimentId, run);
      const entry: SummaryRun = { mlflowRunId: run.id, runId: outcome.runId, outcome: outcome.kind, points: outcome.pointsSent };
      summary.runs[outcome.kind]++;
      summary.runList.push(entry);
      summary.params += outcome.params;
      summary.tags += outcome.tags;
      summary.metrics.series += outcome.metrics;
      summary.metrics.pointsSent += outcome.pointsSent;
      summary.metrics.pointsAlreadyThere += outcome.pointsAlreadyThere;
      summary.metrics.invalidPoints += outcome.invalidPoints;
      summary.artifacts.uploaded += outcome.artifactsUploaded;
      summary.artifacts.bytes += outcome.artifactBytes;
      summary.artifacts.alreadyThere += outcome.artifactsAlreadyThere;
      options.onRun?.(entry);
    }
  }
  const { retention } = ctx;
  if (retention.points > 0) {
    summary.retention = {
      days: retention.days ?? 0,
      pointsLeftOut: retention.points,
      oldest: new Date(retention.oldestMs).toISOString(),
      newest: new Date(retention.newestMs).toISOString(),
    };
  }
  summary.seconds = (performance.now() - started) / 1000;
  return summary;
}
