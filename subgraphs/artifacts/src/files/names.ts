/**
 * What an upload declares beside its name: the media type, the checksum, and
 * the Content-Disposition a download is served with. The rules for the name
 * itself live in @lab/shared (fileNames.ts): the registry applies them too.
 */
import { labError } from '@lab/shared';

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
