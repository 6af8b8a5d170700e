/**
 * Checks of user input at the edge, each failing with BAD_USER_INPUT that
 * names the field and says what it accepts. Nothing reaches the store unchecked.
 */
import { labError } from '@lab/shared';

/** Names of projects, experiments, runs, models, datasets, prompt templates. */
const NAME = /^[\p{L}\p{N}][\p{L}\p{N} ._\-/:+@]*$/u;
export const MAX_NAME_LENGTH = 128;
/** Aliases, version labels, tag and parameter keys. */
const KEY = /^[A-Za-z0-9][A-Za-z0-9._\-/:]*$/;
export const MAX_KEY_LENGTH = 128;
export const MAX_DESCRIPTION_LENGTH = 10_000;
/** Largest JSON value (config, params, metadata, schema) once serialised. */
export const MAX_JSON_BYTES = 64 * 1024;
export const MAX_TAGS = 100;
export const MAX_TAG_VALUE_LENGTH = 1_000;

function bad(field: string, message: string): never {
  throw labError('BAD_USER_INPUT', `${field} ${message}`, { field });
}

export function checkName(field: string, value: string): string {
  const name = value.trim();
  if (name.length === 0) bad(field, 'must not be empty');
  if (name.length > MAX_NAME_LENGTH) bad(field, `must be at most ${MAX_NAME_LENGTH} characters (got ${name.length})`);
  if (!NAME.test(name)) {
    bad(field, 'must start with a letter or digit and contain only letters, digits, spaces and . _ - / : + @');
  }
  return name;
}

export function checkKey(field: string, value: string): string {
  if (value.length === 0 || value.length > MAX_KEY_LENGTH) bad(field, `must be 1 to ${MAX_KEY_LENGTH} characters`);
  if (!KEY.test(value)) bad(field, 'must start with a letter or digit and contain only letters, digits and . _ - / :');
  return value;
}

export function checkDescription(field: string, value: string | null | undefined): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (value.length > MAX_DESCRIPTION_LENGTH) bad(field, `must be at most ${MAX_DESCRIPTION_LENGTH} characters`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: that is the point
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(value)) bad(field, 'must not contain control characters');
  return value;
}

/**
 * A NUL character in a string or key of serialised JSON: `\u0000` after an
 * even number of backslashes (after an odd number it is the text "\u0000"
 * following an escaped backslash).
 */
const JSON_NUL = /(?:^|[^\\])(?:\\\\)*\\u0000/;

/**
 * A JSON object (not an array or scalar) of bounded size, without NUL
 * characters in its strings or keys (PostgreSQL's JSONB cannot store them).
 */
export function checkJsonObject(field: string, value: unknown): Record<string, unknown> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) bad(field, 'must be a JSON object');
  const json = JSON.stringify(value);
  const bytes = Buffer.byteLength(json);
  if (bytes > MAX_JSON_BYTES) bad(field, `must be at most ${MAX_JSON_BYTES} bytes of JSON (got ${bytes})`);
  if (JSON_NUL.test(json)) bad(field, 'must not contain NUL characters (\\u0000) in its keys or strings');
  return value as Record<string, unknown>;
}

/** Tags and params: a JSON object of string values with well-formed keys. */
export function checkStringMap(field: string, value: unknown): Record<string, string> | undefined {
  const object = checkJsonObject(field, value);
  if (object === undefined) return undefined;
  const entries = Object.entries(object);
  if (entries.length > MAX_TAGS) bad(field, `must have at most ${MAX_TAGS} keys (got ${entries.length})`);
  const out: Record<string, string> = {};
  for (const [key, raw] of entries) {
    checkKey(`${field} key "${key.slice(0, 40)}"`, key);
    const text = typeof raw === 'number' || typeof raw === 'boolean' ? String(raw) : raw;
    if (typeof text !== 'string') bad(`${field}.${key}`, 'must be a string, number or boolean');
    if (text.length > MAX_TAG_VALUE_LENGTH) bad(`${field}.${key}`, `must be at most ${MAX_TAG_VALUE_LENGTH} characters`);
    out[key] = text;
  }
  return out;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/** An id argument: a malformed one cannot name anything, so it is NOT_FOUND like an unknown one. */
export function checkId(entity: string, value: string): string {
  if (!isUuid(value)) throw labError('NOT_FOUND', `${entity} ${value.slice(0, 64)} not found`, { entity });
  return value.toLowerCase();
}
