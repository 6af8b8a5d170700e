/**
 * Writes an mlruns folder in MLflow's file store layout (what its tracking
 * client writes with a file: tracking URI), for the import's tests and its
 * benchmark: meta.yaml files as MLflow dumps them, one file per param and
 * tag, metric files of "timestamp value step" lines, artifact files.
 */
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import { stringify } from 'yaml';

const STATUS_NUMBER = { RUNNING: 1, SCHEDULED: 2, FINISHED: 3, FAILED: 4, KILLED: 5 } as const;

export interface ExperimentSpec {
  id: string;
  name: string;
  deleted?: boolean;
  tags?: Record<string, string>;
}

export interface RunSpec {
  id: string;
  name: string;
  status?: keyof typeof STATUS_NUMBER;
  startTimeMs: number;
  endTimeMs?: number;
  userId?: string;
  deleted?: boolean;
  params?: Record<string, string>;
  tags?: Record<string, string>;
  /** Small metrics: name → points. */
  metrics?: Record<string, { timestampMs: number; value: number | string; step: number }[]>;
  /** Artifact path → content. */
  artifacts?: Record<string, string | Uint8Array>;
}

function writeKeyFiles(dir: string, values: Record<string, string> | undefined): void {
  mkdirSync(dir, { recursive: true });
  for (const [key, value] of Object.entries(values ?? {})) {
    const file = path.join(dir, ...key.split('/'));
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, value);
  }
}

export function writeExperiment(root: string, spec: ExperimentSpec): string {
  const dir = path.join(root, spec.id);
  mkdirSync(dir, { recursive: true });
  const meta = {
    artifact_location: pathToFileURL(dir).href,
    creation_time: Date.now(),
    experiment_id: spec.id,
    last_update_time: Date.now(),
    lifecycle_stage: spec.deleted ? 'deleted' : 'active',
    name: spec.name,
  };
  writeFileSync(path.join(dir, 'meta.yaml'), stringify(meta));
  writeKeyFiles(path.join(dir, 'tags'), spec.tags);
  return dir;
}

export function writeRun(root: string, experimentId: string, spec: RunSpec): string {
  const dir = path.join(root, experimentId, spec.id);
  mkdirSync(path.join(dir, 'artifacts'), { recursive: true });
  const meta = {
    artifact_uri: pathToFileURL(path.join(dir, 'artifacts')).href,
    end_time: spec.endTimeMs ?? null,
    entry_point_name: '',
    experiment_id: experimentId,
    lifecycle_stage: spec.deleted ? 'deleted' : 'active',
    name: '',
    run_id: spec.id,
    run_name: spec.name,
    run_uuid: spec.id,
    source_name: '',
    source_type: 4,
    source_version: '',
    start_time: spec.startTimeMs,
    status: STATUS_NUMBER[spec.status ?? 'FINISHED'],
    tags: [],
    user_id: spec.userId ?? 'unknown',
  };
  writeFileSync(path.join(dir, 'meta.yaml'), stringify(meta));
  writeKeyFiles(path.join(dir, 'params'), spec.params);
  writeKeyFiles(path.join(dir, 'tags'), { 'mlflow.runName': spec.name, ...spec.tags });
  const metricLines = Object.fromEntries(
    Object.entries(spec.metrics ?? {}).map(([name, points]) => [
      name,
      points.map((p) => `${p.timestampMs} ${p.value} ${p.step}\n`).join(''),
    ]),
  );
  writeKeyFiles(path.join(dir, 'metrics'), metricLines);
  for (const [name, content] of Object.entries(spec.artifacts ?? {})) {
    const file = path.join(dir, 'artifacts', ...name.split('/'));
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
  return dir;
}

/** A long metric file, written in slices: point i is (timestampOf(i), valueAt(i), step i). */
export async function writeLongMetric(
  runDir: string,
  name: string,
  count: number,
  timestampOf: (i: number) => number,
  valueAt: (i: number) => number,
): Promise<void> {
  const file = path.join(runDir, 'metrics', ...name.split('/'));
  mkdirSync(path.dirname(file), { recursive: true });
  const out = createWriteStream(file);
  const SLICE = 50_000;
  for (let from = 0; from < count; from += SLICE) {
    const lines: string[] = [];
    for (let i = from; i < Math.min(from + SLICE, count); i++) lines.push(`${timestampOf(i)} ${valueAt(i)} ${i}\n`);
    if (!out.write(lines.join(''))) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  out.end();
  await finished(out);
}
