/**
 * Checks of the internal routes' bodies (internalApi.ts): each parser answers
 * the typed request, or the reason it is refused (answered 400 BAD_USER_INPUT).
 * Unknown fields are refused too, so a misspelt option is never ignored.
 */
import { fileNameOrPrefixProblem, shownFileName } from '@lab/shared';
import type {
  CopyFilesRequest,
  DeleteFilesRequest,
  FileOwnerRef,
  FilesScope,
  InspectFilesRequest,
  ListFileOwnersRequest,
} from '@lab/shared/internal';
import { isUuid, OWNER_KINDS, type OwnerKind, prefixOf } from '../files/owners';

/** Most names one copy may select. */
export const MAX_COPY_NAMES = 1000;
/** Most objects one page of the owners scan may cover. */
export const MAX_SCAN_LIMIT = 10_000;
export const DEFAULT_SCAN_LIMIT = 5000;
/** Longest continuation token accepted (S3's are far shorter). */
const MAX_TOKEN_CHARS = 4096;

class Refused extends Error {}

function refuse(at: string, why: string): never {
  throw new Refused(`${at} ${why}`);
}

/** Runs a check that throws Refused: the value, or the reason as a string. */
function parseWith<T>(check: (body: unknown) => T): (body: unknown) => T | string {
  return (body) => {
    try {
      return check(body);
    } catch (err) {
      if (err instanceof Refused) return err.message;
      throw err;
    }
  };
}

function object(value: unknown, at: string, fields: readonly string[]): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) refuse(at, 'must be an object');
  const unknown = Object.keys(value).filter((k) => !fields.includes(k));
  if (unknown.length > 0) refuse(at, `has unknown field ${JSON.stringify(unknown[0])} (expected ${fields.join(', ')})`);
  return value as Record<string, unknown>;
}

function uuid(value: unknown, at: string): string {
  if (typeof value !== 'string' || !isUuid(value)) refuse(at, 'must be a UUID');
  return value.toLowerCase();
}

function ownerRef(value: unknown, at: string): FileOwnerRef {
  const o = object(value, at, ['kind', 'id', 'parentId']);
  if (!OWNER_KINDS.includes(o.kind as OwnerKind)) refuse(`${at}.kind`, `must be one of ${OWNER_KINDS.join(', ')}`);
  return { kind: o.kind as OwnerKind, id: uuid(o.id, `${at}.id`), parentId: uuid(o.parentId, `${at}.parentId`) };
}

function scopeOf(value: unknown, at: string): FilesScope {
  if (typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'EXPERIMENT') {
    const o = object(value, at, ['kind', 'id']);
    return { kind: 'EXPERIMENT', id: uuid(o.id, `${at}.id`) };
  }
  if (typeof value === 'object' && value !== null && !OWNER_KINDS.includes((value as { kind?: OwnerKind }).kind as OwnerKind)) {
    refuse(`${at}.kind`, `must be EXPERIMENT or one of ${OWNER_KINDS.join(', ')}`);
  }
  return ownerRef(value, at);
}

/** A file name, or a prefix of names ending in "/", that a client could have uploaded (@lab/shared fileNames.ts). */
function nameOrPrefix(value: unknown, at: string): string {
  if (typeof value !== 'string') refuse(at, 'must be a string');
  const problem = fileNameOrPrefixProblem(value);
  if (problem) refuse(at, `is refused: name ${shownFileName(value)} is not allowed: ${problem}`);
  return value;
}

function optionalBoolean(value: unknown, at: string): boolean | undefined {
  if (value !== undefined && typeof value !== 'boolean') refuse(at, 'must be true or false');
  return value as boolean | undefined;
}

export const parseInspect = parseWith((body): InspectFilesRequest => {
  const b = object(body, 'the body', ['owner', 'checksums']);
  const checksums = optionalBoolean(b.checksums, 'checksums');
  return { owner: ownerRef(b.owner, 'owner'), ...(checksums !== undefined ? { checksums } : {}) };
});

export const parseDelete = parseWith((body): DeleteFilesRequest => {
  const b = object(body, 'the body', ['scope']);
  return { scope: scopeOf(b.scope, 'scope') };
});

export const parseCopy = parseWith((body): CopyFilesRequest => {
  const b = object(body, 'the body', ['from', 'to', 'names']);
  const from = ownerRef(b.from, 'from');
  const to = ownerRef(b.to, 'to');
  if (prefixOf(from) === prefixOf(to)) refuse('to', 'is the same owner as from');
  if (b.names === undefined) return { from, to };
  if (!Array.isArray(b.names) || b.names.length === 0 || b.names.length > MAX_COPY_NAMES) {
    refuse('names', `must be a list of 1 to ${MAX_COPY_NAMES} names (leave it out to copy every file)`);
  }
  return { from, to, names: b.names.map((n, i) => nameOrPrefix(n, `names[${i}]`)) };
});

export const parseOwners = parseWith((body): ListFileOwnersRequest => {
  const b = object(body, 'the body', ['after', 'limit']);
  const request: ListFileOwnersRequest = {};
  if (b.after !== undefined) {
    if (typeof b.after !== 'string' || b.after === '' || b.after.length > MAX_TOKEN_CHARS) {
      refuse('after', 'must be the `next` of the previous page');
    }
    request.after = b.after;
  }
  if (b.limit !== undefined) {
    if (!Number.isInteger(b.limit) || (b.limit as number) < 1 || (b.limit as number) > MAX_SCAN_LIMIT) {
      refuse('limit', `must be a whole number from 1 to ${MAX_SCAN_LIMIT}`);
    }
    request.limit = b.limit as number;
  }
  return request;
});
