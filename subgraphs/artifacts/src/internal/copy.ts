/**
 * internal/files/copy: copies an owner's files (all, or the names asked) to
 * another owner under the same names, keeping content type and checksum.
 * A file already copied (same size, content type, checksum and bytes) is
 * left alone, so calling it again costs only HEADs and ends the same.
 */
import { type CopyFilesRequest, type CopyFilesResult, type FileOwnerRef, InternalRouteError } from '@lab/shared/internal';
import { ownerLabel, prefixOf } from '../files/owners';
import type { ArtifactsStore } from '../store/artifactsStore';
import type { ObjectEntry, ObjectHead } from '../store/filesStore';
import { ownerFiles } from './inspect';

interface Selected {
  entry: ObjectEntry;
  name: string;
}

const matches = (name: string, wanted: string) => (wanted.endsWith('/') ? name.startsWith(wanted) : name === wanted);

function nothingToCopy(owner: FileOwnerRef): InternalRouteError {
  const what = owner.kind === 'RUN' ? 'outputs' : 'files';
  return new InternalRouteError('BAD_USER_INPUT', `the ${ownerLabel(owner)} has no ${what} to copy`);
}

/** The files `names` selects (all when absent); BAD_USER_INPUT when there are none or a name matches nothing. */
export function selectFiles(owner: FileOwnerRef, entries: ObjectEntry[], names?: string[]): Selected[] {
  const prefix = prefixOf(owner);
  const all = entries.map((entry) => ({ entry, name: entry.key.slice(prefix.length) }));
  if (all.length === 0) throw nothingToCopy(owner);
  if (!names) return all;
  const missing = names.filter((wanted) => !all.some((f) => matches(f.name, wanted)));
  if (missing.length > 0) {
    const more = missing.length > 1 ? ` (and ${missing.length - 1} more names)` : '';
    throw new InternalRouteError('BAD_USER_INPUT', `the ${ownerLabel(owner)} has no file ${JSON.stringify(missing[0])}${more}`);
  }
  return all.filter((f) => names.some((wanted) => matches(f.name, wanted)));
}

/** Whether `target` already is a copy of `source`: same size, content type, recorded checksum, and bytes (ETag or checksum). */
export function isCopyOf(target: ObjectHead | undefined, source: ObjectHead): boolean {
  if (!target || target.size !== source.size || target.contentType !== source.contentType) return false;
  if (target.sha256 !== source.sha256) return false;
  return target.etag === source.etag || source.sha256 !== undefined;
}

async function copyOne(store: ArtifactsStore, file: Selected, key: string): Promise<ObjectHead> {
  const [source, target] = await Promise.all([store.files.head(file.entry.key, file.entry.versionId), store.files.head(key)]);
  if (!source) throw new Error(`${file.entry.key} was deleted while it was being copied; copy again`);
  if (!isCopyOf(target, source)) await store.copies.copy(source, key);
  return source;
}

export async function copyFiles(store: ArtifactsStore, request: CopyFilesRequest): Promise<CopyFilesResult> {
  const selected = selectFiles(request.from, await ownerFiles(store, request.from), request.names);
  const toPrefix = prefixOf(request.to);
  const copied = await Promise.all(selected.map((file) => copyOne(store, file, `${toPrefix}${file.name}`)));
  const files = selected.map((file, i) => ({ name: file.name, sizeBytes: copied[i]?.size ?? file.entry.size }));
  return { files, count: files.length, totalBytes: files.reduce((sum, f) => sum + f.sizeBytes, 0) };
}
