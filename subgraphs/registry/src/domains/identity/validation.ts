/** Input checks of the identity domain (BAD_USER_INPUT naming the field). */
import { labError } from '@lab/shared';
import type { EntityKind } from '../../store/identityStore';

function bad(field: string, message: string): never {
  throw labError('BAD_USER_INPUT', `${field} ${message}`, { field });
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: that is the point
const CONTROL = /[\u0000-\u001f\u007f]/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** `*`, or words joined by `:` (e.g. `metrics:write`, `registry:*`). */
const SCOPE = /^(\*|[a-z][a-z0-9_-]*(:([a-z][a-z0-9_-]*|\*))*)$/;
export const MAX_SCOPES = 50;
export const MAX_OWNERSHIP_REFS = 1000;
export const MAX_KEY_IDS = 1000;

export function checkEmail(field: string, value: string): string {
  const email = value.trim().toLowerCase();
  if (email.length === 0 || email.length > 254 || !EMAIL.test(email)) bad(field, 'must be an email address (name@domain)');
  return email;
}

/** People's names: any characters but control characters, 1 to 128. */
export function checkPersonName(field: string, value: string): string {
  const name = value.trim();
  if (name.length === 0 || name.length > 128) bad(field, 'must be 1 to 128 characters');
  if (CONTROL.test(name)) bad(field, 'must not contain control characters');
  return name;
}

export const checkKeyName = checkPersonName;

export function checkSearch(field: string, value: string | null | undefined): string | undefined {
  if (value === undefined || value === null) return undefined;
  const search = value.trim();
  if (search.length > 128) bad(field, 'must be at most 128 characters');
  return search.length > 0 ? search : undefined;
}

export function checkScopes(field: string, value: string[] | null | undefined): string[] {
  if (value === undefined || value === null) return ['*'];
  if (value.length === 0) bad(field, 'must name at least one scope (or be left out for [*])');
  if (value.length > MAX_SCOPES) bad(field, `must have at most ${MAX_SCOPES} scopes`);
  for (const scope of value) {
    if (scope.length > 64 || !SCOPE.test(scope)) {
      bad(field, `has an invalid scope "${scope.slice(0, 64)}": use * or lowercase words joined by : (e.g. metrics:write)`);
    }
  }
  return [...new Set(value)];
}

export function checkExpiresAt(field: string, value: Date | null | undefined, now = new Date()): Date | null {
  if (value === undefined || value === null) return null;
  if (value <= now) bad(field, 'must be in the future');
  return value;
}

export function checkKeyHash(value: string): string {
  if (!/^[0-9a-f]{64}$/.test(value)) bad('keyHash', 'must be a SHA-256 digest in lowercase hex');
  return value;
}

export function checkOwnershipRefs<T extends { kind: EntityKind; id: string }>(refs: T[]): T[] {
  if (refs.length > MAX_OWNERSHIP_REFS) bad('refs', `must have at most ${MAX_OWNERSHIP_REFS} entries`);
  return refs;
}

export function checkKeyIds(ids: string[]): string[] {
  if (ids.length > MAX_KEY_IDS) bad('ids', `must have at most ${MAX_KEY_IDS} entries`);
  return ids;
}
