/** The checks of what an upload declares beside its name (names.ts). */
import { describe, expect, it } from 'vitest';
import { checkChecksum, checkContentType, contentDisposition } from './names';

const code = (f: () => unknown) => {
  try {
    f();
  } catch (err) {
    return (err as { extensions?: { code?: string } }).extensions?.code;
  }
  return 'accepted';
};

describe('content type, checksum, disposition', () => {
  it('defaults and checks the media type', () => {
    expect(checkContentType(undefined)).toBe('application/octet-stream');
    expect(checkContentType('text/csv; charset=utf-8')).toBe('text/csv; charset=utf-8');
    expect(code(() => checkContentType('text/html\r\nX-Evil: 1'))).toBe('BAD_USER_INPUT');
    expect(code(() => checkContentType('nonsense'))).toBe('BAD_USER_INPUT');
  });

  it('takes sha256:<hex> and answers lowercase hex', () => {
    expect(checkChecksum(`sha256:${'AB'.repeat(32)}`)).toBe('ab'.repeat(32));
    expect(checkChecksum(null)).toBeUndefined();
    expect(code(() => checkChecksum('md5:abc'))).toBe('BAD_USER_INPUT');
  });

  it('names the download after the last segment, RFC 6266 with an ASCII fallback', () => {
    expect(contentDisposition('ckpt/model.bin')).toBe(`attachment; filename="model.bin"; filename*=UTF-8''model.bin`);
    expect(contentDisposition('données/été (1).csv')).toBe(
      `attachment; filename="_t_ (1).csv"; filename*=UTF-8''%C3%A9t%C3%A9%20%281%29.csv`,
    );
  });
});
