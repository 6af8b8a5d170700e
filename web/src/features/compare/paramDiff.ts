/**
 * The params/config diff of compared runs: every key of any run's params and
 * config (config flattened to dot paths, arrays kept whole), one row per key
 * with each run's value as text, marked when the runs disagree (a key one run
 * lacks differs too). Pure, tested.
 */

export interface DiffInput {
  params: Record<string, unknown>;
  config: Record<string, unknown>;
}

export interface DiffRow {
  /** "params.lr" or "config.model.layers". */
  key: string;
  /** One per run, in the runs' order; undefined where the run has no such key. */
  values: (string | undefined)[];
  differs: boolean;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Nested objects as dot paths; arrays, scalars and empty objects are leaves. */
export function flatten(object: Record<string, unknown>, prefix: string, into: Map<string, unknown> = new Map()) {
  for (const [key, value] of Object.entries(object)) {
    const path = `${prefix}.${key}`;
    if (isPlainObject(value) && Object.keys(value).length > 0) flatten(value, path, into);
    else into.set(path, value);
  }
  return into;
}

/** A leaf as the table shows it: strings as they are, anything else as JSON. */
export function displayValue(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export function diffRows(runs: readonly DiffInput[]): DiffRow[] {
  const flat = runs.map((run) => {
    const map = flatten(run.params, 'params');
    flatten(run.config, 'config', map);
    return map;
  });
  const keys = new Set<string>();
  for (const map of flat) for (const key of map.keys()) keys.add(key);
  const rows: DiffRow[] = [];
  for (const key of [...keys].sort(compareKeys)) {
    const values = flat.map((map) => (map.has(key) ? displayValue(map.get(key)) : undefined));
    rows.push({ key, values, differs: values.some((v) => v !== values[0]) });
  }
  return rows;
}

/** params before config, then by path. */
function compareKeys(a: string, b: string): number {
  const pa = a.startsWith('params.') ? 0 : 1;
  const pb = b.startsWith('params.') ? 0 : 1;
  return pa - pb || (a < b ? -1 : a > b ? 1 : 0);
}
