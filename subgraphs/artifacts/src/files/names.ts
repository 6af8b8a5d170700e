/**
 * What a client may call a file. A name is a relative path under its owner's
 * prefix ("checkpoint-1000/model.safetensors"): segments joined by "/", each
 * of letters, marks and digits of any script plus space and . _ - + = @ , ~ ( ).
 * Refused: empty or "." / ".." segments, a leading "/" or "\", control and
 * format characters (NUL, bidi overrides, zero-width joiners), look-alike
 * separators (fullwidth solidus, division slash, one-dot leader), names that
 * Unicode normalisation would change (NFC, NFKC), spaces at a segment's ends,
 * more than 255 characters per segment, 512 UTF-8 bytes or 32 segments.
 */
import { labError } from '@lab/shared';

export const MAX_NAME_BYTES = 512;
export const MAX_SEGMENT_CHARS = 255;
export const MAX_SEGMENTS = 32;

const SEGMENT = /^[\p{L}\p{M}\p{N} ._\-+=@,~()]+$/u;

function refuse(name: string, why: string): never {
  const shown = JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name);
  throw labError('BAD_USER_INPUT', `name ${shown} is not allowed: ${why}`, { field: 'name' });
}

/** The name as given, when it is safe to put under an owner's prefix; BAD_USER_INPUT otherwise. */
export function checkFileName(name: string): string {
  if (typeof name !== 'string' || name.length === 0) refuse(String(name), 'it is empty');
  if (Buffer.byteLength(name, 'utf8') > MAX_NAME_BYTES) refuse(name, `it is longer than ${MAX_NAME_BYTES} bytes (UTF-8)`);
  if (/[\p{C}]/u.test(name)) refuse(name, 'it contains control, format or unassigned characters');
  if (name.normalize('NFC') !== name) refuse(name, 'it is not in Unicode normal form NFC');
  if (name.normalize('NFKC') !== name)
    refuse(name, 'it contains compatibility characters (fullwidth forms, ligatures, look-alikes)');
  if (name.startsWith('/') || name.startsWith('\\')) refuse(name, 'it is an absolute path');
  const segments = name.split('/');
  if (segments.length > MAX_SEGMENTS) refuse(name, `it has more than ${MAX_SEGMENTS} path segments`);
  for (const segment of segments) {
    if (segment === '') refuse(name, 'it has an empty path segment');
    if (segment === '.' || segment === '..') refuse(name, 'it has a "." or ".." segment');
    if (segment.length > MAX_SEGMENT_CHARS) refuse(name, `a segment is longer than ${MAX_SEGMENT_CHARS} characters`);
    if (segment.trim() !== segment) refuse(name, 'a segment starts or ends with a space');
    if (!SEGMENT.test(segment)) {
      refuse(name, 'it may hold only letters, digits, marks, space and . _ - + = @ , ~ ( ) between "/" separators');
    }
  }
  return name;
}

const CONTENT_TYPE =
  /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}(\s*;\s*[A-Za-z0-9!#$&^_.+-]+=("[^"\\\r\n]*"|[A-Za-z0-9!#$&^_.+-]+))*$/;

/** A media type such as `application/x-parquet` or `text/csv; charset=utf-8` (default application/octet-stream). */
export function checkContentType(contentType: string | null | undefined): string {
  if (contentType == null || contentType === '') return 'application/octet-stream';
  if (contentType.length > 255 || !CONTENT_TYPE.test(contentType)) {
    throw labError('BAD_USER_INPUT', 'contentType must be a media type such as application/octet-stream', {
      field: 'contentType',
    });
  }
  return contentType;
}

/** `sha256:<64 hex>` (as the registry stores checksums) → the lowercase hex. */
export function checkChecksum(checksum: string | null | undefined): string | undefined {
  if (checksum == null) return undefined;
  const match = /^sha256:([0-9a-fA-F]{64})$/.exec(checksum);
  if (!match) throw labError('BAD_USER_INPUT', 'checksum must be sha256:<64 hex digits>', { field: 'checksum' });
  return (match[1] as string).toLowerCase();
}

/** RFC 6266 / 8187: an ASCII fallback and the exact name in UTF-8, from the name's last segment. */
export function contentDisposition(name: string): string {
  const base = name.slice(name.lastIndexOf('/') + 1);
  const ascii = base.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  const encoded = encodeURIComponent(base).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
