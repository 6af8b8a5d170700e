/**
 * How MLflow's entities map onto the platform's (docs/api/mlflow.md):
 * - An MLflow experiment is one of our experiments in a project. Its MLflow
 *   name is `<project>/<experiment>`; a name without "/" lives in the project
 *   named `mlflow` (made on first use by whoever needs it). Experiment id
 *   "0", MLflow's default, is the experiment `Default` of that project.
 * - Ids are ours (UUIDs), run_id = run_uuid = our run id.
 * - Run status: FINISHED is COMPLETED, SCHEDULED is RUNNING.
 * - MLflow's soft delete: an experiment deleted is ARCHIVED (restored:
 *   DRAFT); a run deleted carries the tag `mlflow.lifecycleStage=deleted`
 *   (restored: the tag removed), and is shown without it.
 * - The tag mlflow.runName is the run's name, mlflow.note.content an
 *   experiment's description.
 * Plus the small readers of MLflow request fields.
 */
import { invalid } from './errors';

export const DEFAULT_PROJECT = 'mlflow';
export const DEFAULT_EXPERIMENT_ID = '0';
export const DEFAULT_EXPERIMENT_NAME = 'Default';
export const LIFECYCLE_TAG = 'mlflow.lifecycleStage';
export const RUN_NAME_TAG = 'mlflow.runName';
export const NOTE_TAG = 'mlflow.note.content';

export type Params = Record<string, unknown>;
type KeyValue = { key: string; value: string };

/** The project and our experiment name an MLflow experiment name stands for. */
export function splitExperimentName(name: string): { project: string; name: string } {
  const slash = name.indexOf('/');
  if (slash > 0 && slash < name.length - 1) return { project: name.slice(0, slash), name: name.slice(slash + 1) };
  return { project: DEFAULT_PROJECT, name };
}

export function mlflowExperimentName(projectName: string, name: string): string {
  return projectName === DEFAULT_PROJECT ? name : `${projectName}/${name}`;
}

export interface ExperimentRow {
  id: string;
  name: string;
  description: string;
  status: string;
  tags: Record<string, string>;
  createdAt: string;
  updatedAt: string;
  project: { id: string; name: string };
}

export const EXPERIMENT_FIELDS = 'id name description status tags createdAt updatedAt project { id name }';

export function toMlflowExperiment(row: ExperimentRow) {
  const tags = Object.entries(row.tags).map(([key, value]) => ({ key, value: String(value) }));
  if (row.description) tags.push({ key: NOTE_TAG, value: row.description });
  return {
    experiment_id: row.id,
    name: mlflowExperimentName(row.project.name, row.name),
    artifact_location: `mlflow-artifacts:/${row.id}`,
    lifecycle_stage: row.status === 'ARCHIVED' ? 'deleted' : 'active',
    last_update_time: Date.parse(row.updatedAt),
    creation_time: Date.parse(row.createdAt),
    tags,
  };
}

const TO_MLFLOW_STATUS: Record<string, string> = {
  RUNNING: 'RUNNING',
  COMPLETED: 'FINISHED',
  FAILED: 'FAILED',
  KILLED: 'KILLED',
};
const FROM_MLFLOW_STATUS: Record<string, string> = {
  RUNNING: 'RUNNING',
  SCHEDULED: 'RUNNING',
  FINISHED: 'COMPLETED',
  FAILED: 'FAILED',
  KILLED: 'KILLED',
};

export function ourRunStatus(status: unknown): string {
  const ours = typeof status === 'string' ? FROM_MLFLOW_STATUS[status] : undefined;
  if (!ours) throw invalid(`status must be one of RUNNING, SCHEDULED, FINISHED, FAILED, KILLED (got ${JSON.stringify(status)})`);
  return ours;
}

export interface RunRow {
  id: string;
  name: string;
  status: string;
  params: Record<string, string>;
  tags: Record<string, string>;
  startTime: string;
  endTime: string | null;
  createdBy: { email: string };
  experiment: { id: string };
  metrics: { name: string; last: number; lastStep: number; lastTimestamp: string }[] | null;
  inputs: { id: string; label: string; format: string; checksum: string | null; schema: unknown; dataset: { name: string } }[];
}

export const RUN_FIELDS =
  'id name status params tags startTime endTime createdBy { email } experiment { id } metrics { name last lastStep lastTimestamp } inputs { id label format checksum schema dataset { name } }';

export function toMlflowRunInfo(row: RunRow) {
  return {
    run_id: row.id,
    run_uuid: row.id,
    run_name: row.name,
    experiment_id: row.experiment.id,
    user_id: row.createdBy.email,
    status: TO_MLFLOW_STATUS[row.status] ?? row.status,
    start_time: Date.parse(row.startTime),
    ...(row.endTime ? { end_time: Date.parse(row.endTime) } : {}),
    artifact_uri: `mlflow-artifacts:/${row.experiment.id}/${row.id}/artifacts`,
    lifecycle_stage: row.tags[LIFECYCLE_TAG] === 'deleted' ? 'deleted' : 'active',
  };
}

export function toMlflowRun(row: RunRow) {
  const tags: KeyValue[] = Object.entries(row.tags)
    .filter(([key]) => key !== LIFECYCLE_TAG)
    .map(([key, value]) => ({ key, value: String(value) }));
  tags.push({ key: RUN_NAME_TAG, value: row.name });
  return {
    info: toMlflowRunInfo(row),
    data: {
      metrics: (row.metrics ?? []).map((m) => ({
        key: m.name,
        value: m.last,
        timestamp: Date.parse(m.lastTimestamp),
        step: m.lastStep,
      })),
      params: Object.entries(row.params).map(([key, value]) => ({ key, value: String(value) })),
      tags,
    },
    // The run's lineage; each digest (its checksum, else its label) is one log-inputs resolves back to the version.
    inputs: {
      dataset_inputs: row.inputs.map((v) => ({
        tags: [],
        dataset: {
          name: v.dataset.name,
          digest: v.checksum ?? v.label,
          source_type: 'lab',
          source: JSON.stringify({ datasetVersionId: v.id, label: v.label }),
          ...(v.schema && Object.keys(v.schema as object).length > 0 ? { schema: JSON.stringify(v.schema) } : {}),
        },
      })),
    },
  };
}

/** A made-up run name, as MLflow gives a run created without one. */
export function generatedRunName(): string {
  const stamp = new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return `run-${stamp}-${Math.random().toString(16).slice(2, 6)}`;
}

// ---- request fields ----

export function requiredString(params: Params, name: string, alias?: string): string {
  const value = params[name] ?? (alias ? params[alias] : undefined);
  if (typeof value !== 'string' || value === '') throw invalid(`Missing value for required parameter '${name}'`);
  return value;
}

export function optionalString(params: Params, name: string): string | undefined {
  const value = params[name];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string')
    throw invalid(`Invalid value ${JSON.stringify(value)} for parameter '${name}': must be a string`);
  return value;
}

/** An integer field sent as a JSON number or (query string, proto int64 as JSON) a string. */
export function optionalInt(params: Params, name: string): number | undefined {
  const value = params[name];
  if (value === undefined || value === null || value === '') return undefined;
  const n = typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) {
    throw invalid(`Invalid value ${JSON.stringify(value)} for parameter '${name}': must be an integer`);
  }
  return n;
}

/** A repeated field: a JSON array, or a query parameter given once or several times. */
export function stringList(params: Params, name: string): string[] {
  const value = params[name];
  if (value === undefined || value === null) return [];
  const list = Array.isArray(value) ? value : [value];
  if (!list.every((v) => typeof v === 'string')) throw invalid(`Invalid value for parameter '${name}': must be strings`);
  return list as string[];
}

/** A list of `{ key, value }` objects (tags, params). */
export function keyValues(params: Params, name: string): KeyValue[] {
  const value = params[name];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalid(`Invalid value for parameter '${name}': must be a list of {key, value}`);
  return value.map((entry, i) => {
    const { key, value: v } = (entry ?? {}) as { key?: unknown; value?: unknown };
    if (typeof key !== 'string' || key === '') throw invalid(`Missing value for required parameter '${name}[${i}].key'`);
    if (v !== undefined && v !== null && typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
      throw invalid(`Invalid value for parameter '${name}[${i}].value': must be a string`);
    }
    return { key, value: v === undefined || v === null ? '' : String(v) };
  });
}

export function toObject(entries: KeyValue[]): Record<string, string> {
  return Object.fromEntries(entries.map((e) => [e.key, e.value]));
}

/** Milliseconds since the epoch as an ISO instant (MLflow's int64 times). */
export function isoOf(ms: number | undefined): string | undefined {
  return ms === undefined ? undefined : new Date(ms).toISOString();
}
