/** JSON inputs: NUL characters refused wherever they hide, the text "\u0000" (an escaped backslash) kept. */
import { describe, expect, it } from 'vitest';
import { checkJsonObject } from './validation';

function codeOf(run: () => unknown): unknown {
  try {
    run();
    return undefined;
  } catch (err) {
    return { code: (err as { extensions?: { code?: string } }).extensions?.code, message: (err as Error).message };
  }
}

describe('checkJsonObject', () => {
  it.each([
    ['a string value', { note: 'a\u0000b' }],
    ['a key', { 'k\u0000': 1 }],
    ['a nested array', { a: [1, { b: ['\u0000'] }] }],
    ['after an escaped backslash', { a: '\\\u0000' }],
  ])('refuses a NUL character in %s with BAD_USER_INPUT', (_where, value) => {
    expect(codeOf(() => checkJsonObject('config', value))).toEqual({
      code: 'BAD_USER_INPUT',
      message: 'config must not contain NUL characters (\\u0000) in its keys or strings',
    });
  });

  it('keeps the six characters \\u0000 as text, and other control characters', () => {
    for (const value of [{ a: '\\u0000' }, { a: '\\\\u0000' }, { 'x\\u0000': '\u0001\t' }]) {
      expect(checkJsonObject('config', value)).toBe(value);
    }
  });
});
