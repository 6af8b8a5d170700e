/**
 * What the embedded S3 server accepts as a bucket name, an object key, an
 * upload id and a part number. s3rver stores every object as files named after
 * its key, so a key decides a path on disk: a `..`, `.` or empty segment, a
 * backslash or a control character could lead out of its folder or onto
 * another object's files. These rules refuse such names before they reach it
 * (the front), and again where s3rver turns them into paths (the store guard).
 */

/** A refused name: the S3 error code and what was wrong. */
export class BadS3Name extends Error {
  constructor(
    readonly code: 'InvalidBucketName' | 'InvalidArgument' | 'KeyTooLongError' | 'InvalidURI',
    message: string,
  ) {
    super(message);
  }
}

/** s3rver's suffix for the files of an object (`<last segment>._S3rver_object`, `._S3rver_metadata.json`, ...). */
const S3RVER_SUFFIX = '._S3rver_';
/** The longest file name s3rver makes from a last segment: `._S3rver_metadata.json`. */
const LONGEST_SUFFIX_BYTES = Buffer.byteLength(`${S3RVER_SUFFIX}metadata.json`);
/** Longest file name on Linux file systems. */
const NAME_MAX_BYTES = 255;
/** S3's longest key. */
export const KEY_MAX_BYTES = 1024;
export const MAX_PART_NUMBER = 10_000;

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it finds
const CONTROL = /[\u0000-\u001f\u007f]/;

/** S3's bucket naming rules (3 to 63 of a-z 0-9 . -, starting and ending with a letter or digit, no `..`). */
export function checkBucket(bucket: string): void {
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket) || bucket.includes('..') || /^\d+\.\d+\.\d+\.\d+$/.test(bucket)) {
    throw new BadS3Name('InvalidBucketName', 'The specified bucket is not valid.');
  }
}

/** An object key: segments joined by `/`, none empty, `.` or `..`, no backslash or control character. */
export function checkKey(key: string): void {
  if (key === '') throw new BadS3Name('InvalidArgument', 'The object key is empty.');
  if (Buffer.byteLength(key) > KEY_MAX_BYTES) throw new BadS3Name('KeyTooLongError', 'Your key is too long.');
  if (CONTROL.test(key)) throw new BadS3Name('InvalidArgument', 'Object keys may not contain control characters.');
  if (key.includes('\\')) throw new BadS3Name('InvalidArgument', 'Object keys may not contain a backslash.');
  if (key.includes(S3RVER_SUFFIX)) throw new BadS3Name('InvalidArgument', `Object keys may not contain "${S3RVER_SUFFIX}".`);
  const segments = key.split('/');
  segments.forEach((segment, i) => {
    if (segment === '' || segment === '.' || segment === '..') {
      throw new BadS3Name('InvalidArgument', 'Object keys may not have empty, "." or ".." segments.');
    }
    const room = i === segments.length - 1 ? NAME_MAX_BYTES - LONGEST_SUFFIX_BYTES : NAME_MAX_BYTES;
    if (Buffer.byteLength(segment) > room) {
      throw new BadS3Name('KeyTooLongError', `Each part of a key between slashes may be at most ${room} bytes here.`);
    }
  });
}

/** Upload ids are the 32 hex digits s3rver makes. */
export function checkUploadId(uploadId: string): void {
  if (!/^[0-9a-f]{32}$/.test(uploadId)) throw new BadS3Name('InvalidArgument', 'The upload id is not valid.');
}

export function checkPartNumber(partNumber: string | number): void {
  const n = typeof partNumber === 'number' ? partNumber : /^\d{1,5}$/.test(partNumber) ? Number(partNumber) : Number.NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_PART_NUMBER) {
    throw new BadS3Name('InvalidArgument', `Part number must be an integer between 1 and ${MAX_PART_NUMBER}, inclusive.`);
  }
}

/** decodeURIComponent that answers a clear error for a malformed escape. */
export function decodeComponent(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new BadS3Name('InvalidURI', 'Could not parse the specified URI.');
  }
}

/**
 * The bucket and key of an `x-amz-copy-source` header (`[/]bucket/key[?versionId=...]`, URL-encoded).
 * The key is checked fully decoded, so no encoding of a slash or a dot hides a segment.
 */
export function checkCopySource(header: string): { bucket: string; key: string } {
  const path = header.split('?')[0] ?? '';
  const decoded = decodeComponent(path.startsWith('/') ? path.slice(1) : path);
  const slash = decoded.indexOf('/');
  if (slash < 0)
    throw new BadS3Name('InvalidArgument', 'Copy Source must mention the source bucket and key: sourcebucket/sourcekey.');
  const bucket = decoded.slice(0, slash);
  const key = decoded.slice(slash + 1);
  checkBucket(bucket);
  checkKey(key);
  return { bucket, key };
}
