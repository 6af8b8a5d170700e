/**
 * MLflow's `runs/log-inputs` as run lineage. Each dataset logged (name,
 * digest, source) is looked for in the run's project: the dataset of that
 * exact name, and its version labelled with the digest or, failing that, one
 * of its 100 newest versions whose checksum is the digest (`sha256:<hex>` or
 * the hex alone, any case). Versions found are added to the run's inputs
 * (updateRun addInputs); a dataset not found is kept as the tag
 * `mlflow.input.<name>` holding `{digest, source_type, source}`.
 */
import { invalid } from './errors';
import type { MlflowSession } from './session';

/** The tag a dataset that is none of the project's dataset versions is kept under. */
export const INPUT_TAG_PREFIX = 'mlflow.input.';
/** How many of a dataset's newest versions are searched for a checksum equal to the digest. */
export const CHECKSUM_SEARCH_DEPTH = 100;

export interface LoggedDataset {
  name: string;
  digest: string;
  sourceType: unknown;
  source: unknown;
}

interface DatasetMatch {
  name: string;
  version: { id: string } | null;
  versions: { edges: { node: { id: string; checksum: string | null } }[] };
}

/** The datasets of a log-inputs request, each with its name and digest (INVALID_PARAMETER_VALUE otherwise). */
export function loggedDatasets(value: unknown): LoggedDataset[] {
  const datasets = Array.isArray(value) ? (value as { dataset?: Record<string, unknown> }[]) : [];
  return datasets.map((input, i) => {
    const d = input?.dataset ?? {};
    if (typeof d.name !== 'string' || d.name === '' || typeof d.digest !== 'string' || d.digest === '') {
      throw invalid(`Missing value for required parameter 'datasets[${i}].dataset.name' or '.digest'`);
    }
    return { name: d.name, digest: d.digest, sourceType: d.source_type, source: d.source };
  });
}

function bareChecksum(value: string): string {
  return value.toLowerCase().replace(/^sha256:/, '');
}

/** The id of the project's dataset version the logged dataset names; null when there is none. */
async function resolve(session: MlflowSession, projectId: string, logged: LoggedDataset): Promise<string | null> {
  const found = await session.gql<{ datasets: { edges: { node: DatasetMatch }[] } }>(
    `query MlflowDatasetInput($projectId: ID!, $name: String!, $digest: String!, $depth: Int!) {
      datasets(filter: { projectId: $projectId, nameSearch: $name }, first: 100) {
        edges { node { name version(label: $digest) { id } versions(first: $depth) { edges { node { id checksum } } } } }
      }
    }`,
    { projectId, name: logged.name, digest: logged.digest, depth: CHECKSUM_SEARCH_DEPTH },
  );
  const dataset = found.datasets.edges.map((e) => e.node).find((d) => d.name === logged.name);
  if (!dataset) return null;
  if (dataset.version) return dataset.version.id;
  const digest = bareChecksum(logged.digest);
  return dataset.versions.edges.find((e) => e.node.checksum && bareChecksum(e.node.checksum) === digest)?.node.id ?? null;
}

/** The run's changes for the logged datasets: the versions found as addInputs, the others as tags. */
export async function inputChanges(
  session: MlflowSession,
  runId: string,
  logged: LoggedDataset[],
): Promise<{ addInputs: string[]; tags: { key: string; value: string }[] }> {
  const changes = { addInputs: [] as string[], tags: [] as { key: string; value: string }[] };
  if (logged.length === 0) return changes;
  const { run } = await session.gql<{ run: { experiment: { project: { id: string } } } }>(
    'query MlflowRunProject($id: ID!) { run(id: $id) { experiment { project { id } } } }',
    { id: runId },
  );
  for (const dataset of logged) {
    const versionId = await resolve(session, run.experiment.project.id, dataset);
    if (versionId) changes.addInputs.push(versionId);
    else {
      const value = JSON.stringify({ digest: dataset.digest, source_type: dataset.sourceType, source: dataset.source });
      changes.tags.push({ key: `${INPUT_TAG_PREFIX}${dataset.name}`, value });
    }
  }
  return changes;
}
