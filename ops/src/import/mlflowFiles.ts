/**
 * Reads an MLflow file store (the `mlruns` folder MLflow's tracking client
 * writes without a server): experiments, their runs, and per run its meta,
 * params, tags, metric files and artifact files. Layout:
 *
 *   mlruns/<experiment id>/meta.yaml            experiment_id, name, lifecycle_stage, creation_time
 *   mlruns/<experiment id>/tags/<key>           experiment tags, one file each
 *   mlruns/<experiment id>/<run id>/meta.yaml   run_id, run_name, status, start_time, end_time, user_id, ...
 *   .../<run id>/params/<key>                   the value as the file's text
 *   .../<run id>/tags/<key>
 *   .../<run id>/metrics/<name>                 lines "timestamp value step" (epoch ms; step absent in old files)
 *   .../<run id>/artifacts/...                  the files as logged
 *
 * Keys and names with "/" are folders (`params/optimizer/lr`). Nothing here
 * talks to the platform; metric files are read by metricFiles.ts.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

/** MLflow's RunStatus numbers as the file store writes them. */
const RUN_STATUS: Record<string, MlflowRunStatus> = {
  '1': 'RUNNING',
  '2': 'SCHEDULED',
  '3': 'FINISHED',
  '4': 'FAILED',
  '5': 'KILLED',
};

export type MlflowRunStatus = 'RUNNING' | 'SCHEDULED' | 'FINISHED' | 'FAILED' | 'KILLED';

export interface MlflowExperiment {
  id: string;
  name: string;
  deleted: boolean;
  dir: string;
  tags: Record<string, string>;
}

export interface MlflowRun {
  id: string;
  experimentId: string;
  name: string | undefined;
  status: MlflowRunStatus;
  startTimeMs: number | undefined;
  endTimeMs: number | undefined;
  userId: string | undefined;
  sourceVersion: string | undefined;
  sourceName: string | undefined;
  deleted: boolean;
  params: Record<string, string>;
  tags: Record<string, string>;
  /** Metric name → its file. */
  metrics: Map<string, string>;
  /** The artifacts folder, when there is one on this machine. */
  artifactsDir: string | undefined;
}

export class MlflowStoreError extends Error {}

/** A meta.yaml as a flat record; a missing or unreadable file is an MlflowStoreError naming it. */
async function readMeta(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new MlflowStoreError(`${file} is missing or unreadable`);
  }
  let meta: unknown;
  try {
    meta = parseYaml(text);
  } catch (err) {
    throw new MlflowStoreError(`${file} is not YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (meta === null || typeof meta !== 'object' || Array.isArray(meta))
    throw new MlflowStoreError(`${file} is not a YAML mapping`);
  return meta as Record<string, unknown>;
}

function text(value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  return String(value);
}

function millis(value: unknown): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value !== '' ? Number(value) : Number.NaN;
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

/** Every file below `dir`, as paths relative to it with "/" separators, sorted. */
export async function filesBelow(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .sort();
}

/** A folder of one file per key (params, tags): key → the file's text. */
async function keyFiles(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const key of await filesBelow(dir)) out[key] = await readFile(path.join(dir, key), 'utf8');
  return out;
}

/** The experiments of an mlruns folder, in id order (numbers as numbers); `.trash` and `models` are not experiments. */
export async function readExperiments(root: string): Promise<MlflowExperiment[]> {
  const info = await stat(root).catch(() => undefined);
  if (!info?.isDirectory()) throw new MlflowStoreError(`${root} is not a folder (the mlruns folder of an MLflow file store)`);
  const experiments: MlflowExperiment[] = [];
  for (const entry of await readdir(root, { withFileTypes: true })) {
    const dir = path.join(root, entry.name);
    if (!entry.isDirectory() || entry.name.startsWith('.') || !existsSync(path.join(dir, 'meta.yaml'))) continue;
    const meta = await readMeta(path.join(dir, 'meta.yaml'));
    experiments.push({
      id: text(meta.experiment_id) ?? entry.name,
      name: text(meta.name) ?? `experiment ${entry.name}`,
      deleted: meta.lifecycle_stage === 'deleted',
      dir,
      tags: await keyFiles(path.join(dir, 'tags')),
    });
  }
  if (experiments.length === 0)
    throw new MlflowStoreError(`${root} holds no experiment (no <id>/meta.yaml): is it an mlruns folder?`);
  return experiments.sort((a, b) => Number(a.id) - Number(b.id) || a.id.localeCompare(b.id));
}

/** The run ids (folders with a meta.yaml) of an experiment, sorted. */
export async function runIdsOf(experiment: MlflowExperiment): Promise<string[]> {
  const ids: string[] = [];
  for (const entry of await readdir(experiment.dir, { withFileTypes: true })) {
    if (entry.isDirectory() && existsSync(path.join(experiment.dir, entry.name, 'meta.yaml'))) ids.push(entry.name);
  }
  return ids.sort();
}

/** Where a run's artifacts are: its artifacts/ folder, else a file: artifact_uri that exists here. */
function artifactsDirOf(runDir: string, artifactUri: string | undefined): string | undefined {
  const local = path.join(runDir, 'artifacts');
  if (existsSync(local)) return local;
  if (artifactUri?.startsWith('file:')) {
    const dir = fileURLToPath(artifactUri);
    if (existsSync(dir)) return dir;
  }
  if (artifactUri && path.isAbsolute(artifactUri) && existsSync(artifactUri)) return artifactUri;
  return undefined;
}

/** One run: its meta, params, tags, metric files and artifacts folder. */
export async function readRun(experiment: MlflowExperiment, runId: string): Promise<MlflowRun> {
  const dir = path.join(experiment.dir, runId);
  const meta = await readMeta(path.join(dir, 'meta.yaml'));
  const metricsDir = path.join(dir, 'metrics');
  const metrics = new Map((await filesBelow(metricsDir)).map((name) => [name, path.join(metricsDir, name)] as const));
  const status = RUN_STATUS[String(meta.status)] ?? (String(meta.status).toUpperCase() as MlflowRunStatus);
  return {
    id: text(meta.run_id) ?? text(meta.run_uuid) ?? runId,
    experimentId: experiment.id,
    name: text(meta.run_name) ?? text(meta.name),
    status: Object.values(RUN_STATUS).includes(status) ? status : 'FINISHED',
    startTimeMs: millis(meta.start_time),
    endTimeMs: millis(meta.end_time),
    userId: text(meta.user_id),
    sourceVersion: text(meta.source_version),
    sourceName: text(meta.source_name),
    deleted: meta.lifecycle_stage === 'deleted',
    params: await keyFiles(path.join(dir, 'params')),
    tags: await keyFiles(path.join(dir, 'tags')),
    metrics,
    artifactsDir: artifactsDirOf(dir, text(meta.artifact_uri)),
  };
}
