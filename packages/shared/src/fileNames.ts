/**
 * What a client may call a file. A name is a relative path under its owner's
 * prefix ("checkpoint-1000/model.safetensors"): segments joined by "/", each
 * of letters, marks and digits of any script plus space and . _ - + = @ , ~ ( ).
 * Refused: empty or "." / ".." segments, a leading "/" or "\", control and
 * format characters (NUL, bidi overrides, zero-width joiners), look-alike
 * separators (fullwidth solidus, division slash, one-dot leader), names that
 * Unicode normalisation would change (NFC, NFKC), spaces at a segment's ends,
 * more than 255 characters per segment, 512 UTF-8 bytes or 32 segments.
 *
 * The artifacts subgraph applies these rules where a name meets S3
 * (requestUpload, its internal copy route); the registry applies them to the
 * names a mutation will hand it later (createModelVersionFromRun), so a bad
 * name is refused up front, before any saga starts.
 */
import { labError } from './errors';

export const MAX_FILE_NAME_BYTES = 512;
export const MAX_FILE_NAME_SEGMENT_CHARS = 255;
export const MAX_FILE_NAME_SEGMENTS = 32;

const SEGMENT = /^[\p{L}\p{M}\p{N} ._\-+=@,~()]+$/u;

/** Why `name` may not be a file name, or undefined when it may. */
export function fileNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string' || name.length === 0) return 'it is empty';
  if (Buffer.byteLength(name, 'utf8') > MAX_FILE_NAME_BYTES) return `it is longer than ${MAX_FILE_NAME_BYTES} bytes (UTF-8)`;
  if (/[\p{C}]/u.test(name)) return 'it contains control, format or unassigned characters';
  if (name.normalize('NFC') !== name) return 'it is not in Unicode normal form NFC';
  if (name.normalize('NFKC') !== name) return 'it contains compatibility characters (fullwidth forms, ligatures, look-alikes)';
  if (name.startsWith('/') || name.startsWith('\\')) return 'it is an absolute path';
  const segments = name.split('/');
  if (segments.length > MAX_FILE_NAME_SEGMENTS) return `it has more than ${MAX_FILE_NAME_SEGMENTS} path segments`;
  for (const segment of segments) {
    if (segment === '') return 'it has an empty path segment';
    if (segment === '.' || segment === '..') return 'it has a "." or ".." segment';
    if (segment.length > MAX_FILE_NAME_SEGMENT_CHARS) return `a segment is longer than ${MAX_FILE_NAME_SEGMENT_CHARS} characters`;
    if (segment.trim() !== segment) return 'a segment starts or ends with a space';
    if (!SEGMENT.test(segment)) {
      return 'it may hold only letters, digits, marks, space and . _ - + = @ , ~ ( ) between "/" separators';
    }
  }
  return undefined;
}

/** The name shown in a refusal: quoted, cut at 80 characters. */
export function shownFileName(name: unknown): string {
  const text = String(name);
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}

/** The name as given, when it is safe to put under an owner's prefix; BAD_USER_INPUT naming `field` otherwise. */
export function checkFileName(name: string, field = 'name'): string {
  const problem = fileNameProblem(name);
  if (problem) throw labError('BAD_USER_INPUT', `name ${shownFileName(name)} is not allowed: ${problem}`, { field });
  return name;
}

/** A file name, or a prefix of names ending in "/" (a folder of them): the same rules for the part before the "/". */
export function fileNameOrPrefixProblem(name: unknown): string | undefined {
  if (typeof name !== 'string') return 'it is not a string';
  return fileNameProblem(name.endsWith('/') ? name.slice(0, -1) : name);
}
