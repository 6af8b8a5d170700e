/**
 * What an MLflow run becomes on the platform: its name, status, times,
 * source (`RunSource` from the mlflow.source.* tags), notes
 * (mlflow.note.content), params and tags, each checked against the platform's
 * rules first so that what it would refuse is left out and reported instead
 * of failing the run. Tags that became fields are not kept as tags too.
 */
import type { MlflowRun } from './mlflowFiles';

/** The tag that finds a run imported before. */
export const RUN_ID_TAG = 'mlflow.run_id';
/** Set once a run's import finished: a later import leaves the run alone. */
export const COMPLETE_TAG = 'lab.import';
export const COMPLETE_VALUE = 'complete';

/** The platform's rules (subgraphs/registry validation): keys, values, names, counts per call. */
const KEY = /^[A-Za-z0-9][A-Za-z0-9._\-/:]*$/;
const MAX_KEY_LENGTH = 128;
const MAX_VALUE_LENGTH = 1_000;
const MAX_TAGS = 100;
/** Keys per params batch, and bytes of JSON (the platform takes at most 64 KiB a call). */
const PARAMS_PER_CALL = 100;
const PARAMS_BYTES_PER_CALL = 60_000;
const NAME_CHARACTER = /[^\p{L}\p{N} ._\-/:+@]/gu;
const MAX_NAME_LENGTH = 128;
const MAX_NOTES_LENGTH = 50_000;
const COMMIT = /^[0-9a-f]{7,64}$/i;
// biome-ignore lint/suspicious/noControlCharactersInRegex: that is the point
const CONTROL = /[\u0000-\u001f\u007f]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: that is the point
const NOTES_CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

export interface LeftOut {
  what: string;
  reason: string;
}

export interface RunFields {
  name: string;
  status: 'RUNNING' | 'COMPLETED' | 'FAILED' | 'KILLED';
  startTime: string | undefined;
  endTime: string | undefined;
  source: { commit?: string; branch?: string; entryPoint?: string } | undefined;
  notes: string | undefined;
  /** In batches the platform takes in one call. */
  paramBatches: Record<string, string>[];
  tags: Record<string, string>;
}

/** A name the platform accepts: letters, digits and " ._-/:+@", starting with a letter or digit. */
export function platformName(raw: string | undefined, fallback: string): string {
  const name = (raw ?? '')
    .replace(NAME_CHARACTER, '-')
    .replace(/^[^\p{L}\p{N}]+/u, '')
    .slice(0, MAX_NAME_LENGTH)
    .trim();
  return name === '' ? fallback : name;
}

/** Why the platform would refuse a param or tag, or undefined. */
function refusal(key: string, value: string): string | undefined {
  if (key.length > MAX_KEY_LENGTH || !KEY.test(key)) {
    return `the key is not 1 to ${MAX_KEY_LENGTH} letters, digits and . _ - / : starting with a letter or digit`;
  }
  if (value.length > MAX_VALUE_LENGTH) return `the value is longer than ${MAX_VALUE_LENGTH} characters (${value.length})`;
  if (value.includes('\u0000')) return 'the value holds a NUL character';
  return undefined;
}

function iso(ms: number | undefined): string | undefined {
  return ms === undefined ? undefined : new Date(ms).toISOString();
}

function sourceOf(run: MlflowRun, used: Set<string>): RunFields['source'] {
  const source: NonNullable<RunFields['source']> = {};
  const commit = run.tags['mlflow.source.git.commit'] ?? run.sourceVersion;
  if (commit && COMMIT.test(commit)) {
    source.commit = commit;
    used.add('mlflow.source.git.commit');
  }
  const branch = run.tags['mlflow.source.git.branch'];
  if (branch && branch.length <= 255 && !/[\s~^:?*[\\]|\.\.|@\{|\/\/|^[/.]|[/.]$|\.lock$/.test(branch) && !CONTROL.test(branch)) {
    source.branch = branch;
    used.add('mlflow.source.git.branch');
  }
  const entryPoint = run.tags['mlflow.source.name'] ?? run.sourceName;
  if (entryPoint && entryPoint.trim() !== '' && entryPoint.length <= 1_024 && !CONTROL.test(entryPoint)) {
    source.entryPoint = entryPoint;
    used.add('mlflow.source.name');
  }
  return Object.keys(source).length > 0 ? source : undefined;
}

function paramBatches(params: Record<string, string>, leftOut: LeftOut[]): Record<string, string>[] {
  const batches: Record<string, string>[] = [];
  let batch: Record<string, string> = {};
  let keys = 0;
  let bytes = 2;
  for (const [key, value] of Object.entries(params)) {
    const why = refusal(key, value);
    if (why) {
      leftOut.push({ what: `param ${key.slice(0, 60)}`, reason: why });
      continue;
    }
    const size = Buffer.byteLength(JSON.stringify(key)) + Buffer.byteLength(JSON.stringify(value)) + 2;
    if (keys === PARAMS_PER_CALL || bytes + size > PARAMS_BYTES_PER_CALL) {
      batches.push(batch);
      batch = {};
      keys = 0;
      bytes = 2;
    }
    batch[key] = value;
    keys++;
    bytes += size;
  }
  if (keys > 0) batches.push(batch);
  return batches;
}

/** The platform's view of an MLflow run; what cannot be carried over is added to `leftOut`. */
export function runFields(run: MlflowRun, leftOut: LeftOut[]): RunFields {
  const used = new Set<string>(['mlflow.runName']);
  const source = sourceOf(run, used);
  let notes = run.tags['mlflow.note.content'];
  if (notes !== undefined) {
    if (notes.length <= MAX_NOTES_LENGTH && !NOTES_CONTROL.test(notes)) used.add('mlflow.note.content');
    else notes = undefined;
  }
  const tags: Record<string, string> = { [RUN_ID_TAG]: run.id };
  if (run.userId && run.tags['mlflow.user'] === undefined) tags['mlflow.user'] = run.userId;
  for (const [key, value] of Object.entries(run.tags)) {
    if (used.has(key)) continue;
    const why =
      refusal(key, value) ?? (Object.keys(tags).length >= MAX_TAGS - 1 ? `a run holds at most ${MAX_TAGS} tags` : undefined);
    if (why) leftOut.push({ what: `tag ${key.slice(0, 60)}`, reason: why });
    else tags[key] = value;
  }
  const status =
    run.status === 'FINISHED' ? 'COMPLETED' : run.status === 'FAILED' || run.status === 'KILLED' ? run.status : 'RUNNING';
  return {
    name: platformName(run.name ?? run.tags['mlflow.runName'], run.id),
    status,
    startTime: iso(run.startTimeMs),
    endTime: status === 'RUNNING' || run.endTimeMs === undefined ? undefined : iso(Math.max(run.endTimeMs, run.startTimeMs ?? 0)),
    source,
    notes,
    paramBatches: paramBatches(run.params, leftOut),
    tags,
  };
}
