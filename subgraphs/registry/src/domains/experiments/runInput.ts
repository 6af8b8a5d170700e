/**
 * Checks of what a run is given beyond its name, params and tags: its nested
 * config, its source (git commit, branch, dirty flag, entry point, host), its
 * notes, its input dataset versions and the changes of updateRun. Each refusal is BAD_USER_INPUT naming
 * the field and what it accepts.
 */
import { labError } from '@lab/shared';
import { checkJsonObject, checkKey, checkName, checkStringMap, isUuid, MAX_TAGS } from '../../common/validation';
import type { RunSourceColumns } from '../../store/runQueries';
import { MAX_RUN_INPUTS, type RunChanges } from '../../store/runsStore';

/** Deepest nesting of objects and arrays in a run's config. */
export const MAX_CONFIG_DEPTH = 32;
/** Longest notes (markdown), in characters. */
export const MAX_NOTES_LENGTH = 50_000;
export const MAX_ENTRY_POINT_LENGTH = 1_024;
export const MAX_BRANCH_LENGTH = 255;
export const MAX_HOST_LENGTH = 253;

function bad(field: string, message: string): never {
  throw labError('BAD_USER_INPUT', `${field} ${message}`, { field });
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: that is the point
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: that is the point
const ANY_CONTROL = /[\u0000-\u001f\u007f]/;

/** Refuses nesting deeper than MAX_CONFIG_DEPTH below `value` (NUL characters are checkJsonObject's). */
function walk(value: unknown, depth: number, field: string): void {
  if (depth > MAX_CONFIG_DEPTH) bad(field, `must be nested at most ${MAX_CONFIG_DEPTH} levels deep`);
  if (value === null || typeof value !== 'object') return;
  for (const item of Array.isArray(value) ? value : Object.values(value)) walk(item, depth + 1, field);
}

/** A run's config: a JSON object of at most 64 KiB, nested at most MAX_CONFIG_DEPTH levels. */
export function checkConfig(field: string, value: unknown): Record<string, unknown> | undefined {
  const config = checkJsonObject(field, value);
  if (config !== undefined) walk(config, 1, field);
  return config;
}

export function checkNotes(field: string, value: string | null | undefined): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (value.length > MAX_NOTES_LENGTH) bad(field, `must be at most ${MAX_NOTES_LENGTH} characters (got ${value.length})`);
  if (CONTROL.test(value)) bad(field, 'must not contain control characters other than tabs and line breaks');
  return value;
}

export interface RunSourceInput {
  commit?: string | null;
  branch?: string | null;
  dirty?: boolean | null;
  entryPoint?: string | null;
  host?: string | null;
}

const COMMIT = /^[0-9a-f]{7,64}$/i;
const HOST = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/;
/** What git check-ref-format refuses in a branch name. */
const BAD_REF_CHARACTER = /[\s~^:?*[\\]/;

function checkBranch(field: string, branch: string): string {
  if (branch.length === 0 || branch.length > MAX_BRANCH_LENGTH) bad(field, `must be 1 to ${MAX_BRANCH_LENGTH} characters`);
  const problem =
    ANY_CONTROL.test(branch) || BAD_REF_CHARACTER.test(branch)
      ? 'control characters, spaces or any of ~ ^ : ? * [ \\'
      : branch.includes('..')
        ? '".."'
        : branch.includes('@{')
          ? '"@{"'
          : branch.includes('//')
            ? '"//"'
            : /^[/.]|[/.]$|\.lock$/.test(branch)
              ? 'a leading or trailing "/" or ".", or a trailing ".lock"'
              : undefined;
  if (problem) bad(field, `must be a git branch name (no ${problem})`);
  return branch;
}

/** The source of a run, checked; null when nothing is given. */
export function checkSource(field: string, value: RunSourceInput | null | undefined): RunSourceColumns | null {
  if (value === undefined || value === null) return null;
  const out: RunSourceColumns = {
    sourceCommit: null,
    sourceBranch: null,
    sourceDirty: value.dirty ?? null,
    sourceEntryPoint: null,
    sourceHost: null,
  };
  if (value.commit !== undefined && value.commit !== null) {
    if (!COMMIT.test(value.commit)) bad(`${field}.commit`, 'must be a git commit: 7 to 64 hexadecimal digits');
    out.sourceCommit = value.commit.toLowerCase();
  }
  if (value.branch !== undefined && value.branch !== null) out.sourceBranch = checkBranch(`${field}.branch`, value.branch);
  if (value.entryPoint !== undefined && value.entryPoint !== null) {
    const entry = value.entryPoint;
    if (entry.trim().length === 0 || entry.length > MAX_ENTRY_POINT_LENGTH) {
      bad(`${field}.entryPoint`, `must be 1 to ${MAX_ENTRY_POINT_LENGTH} characters`);
    }
    if (ANY_CONTROL.test(entry)) bad(`${field}.entryPoint`, 'must not contain control characters');
    out.sourceEntryPoint = entry;
  }
  if (value.host !== undefined && value.host !== null) {
    if (value.host.length > MAX_HOST_LENGTH || !HOST.test(value.host)) {
      bad(`${field}.host`, `must be a host name: up to ${MAX_HOST_LENGTH} letters, digits, '.', '-' and '_'`);
    }
    out.sourceHost = value.host;
  }
  return Object.values(out).every((v) => v === null) ? null : out;
}

export interface UpdateRunInput {
  name?: string | null;
  notes?: string | null;
  addTags?: unknown;
  removeTags?: string[] | null;
  addParams?: unknown;
  addInputs?: string[] | null;
}

/**
 * Dataset version ids a run reads, distinct and lowercase: at most MAX_RUN_INPUTS (BAD_USER_INPUT); one that is
 * no id is NOT_FOUND, as an unknown one is (whether each is in the run's project is the store's check).
 */
export function checkInputs(field: string, value: string[] | null | undefined): string[] {
  const inputs = [...new Set((value ?? []).map((id) => id.toLowerCase()))];
  if (inputs.length > MAX_RUN_INPUTS) bad(field, `must list at most ${MAX_RUN_INPUTS} dataset versions`);
  const notId = inputs.find((id) => !isUuid(id));
  if (notId !== undefined) {
    throw labError('NOT_FOUND', `${field}: dataset version ${notId.slice(0, 64)} not found`, { field });
  }
  return inputs;
}

/** updateRun's changes other than the status, checked. */
export function checkRunChanges(input: UpdateRunInput): Omit<RunChanges, 'status'> {
  const changes: Omit<RunChanges, 'status'> = {};
  if (input.name !== undefined && input.name !== null) changes.name = checkName('input.name', input.name);
  const notes = checkNotes('input.notes', input.notes);
  if (notes !== undefined) changes.notes = notes;
  const addTags = checkStringMap('input.addTags', input.addTags);
  if (addTags) changes.addTags = addTags;
  if (input.removeTags !== undefined && input.removeTags !== null) {
    if (input.removeTags.length > MAX_TAGS) bad('input.removeTags', `must list at most ${MAX_TAGS} keys`);
    const removed = [...new Set(input.removeTags.map((key) => checkKey('input.removeTags', key)))];
    const both = removed.find((key) => addTags && key in addTags);
    if (both !== undefined) bad('input.removeTags', `and input.addTags both name "${both}": set it or remove it`);
    changes.removeTags = removed;
  }
  const addParams = checkStringMap('input.addParams', input.addParams);
  if (addParams) changes.addParams = addParams;
  const addInputs = checkInputs('addInputs', input.addInputs);
  if (addInputs.length > 0) changes.addInputs = addInputs;
  return changes;
}
