import { describe, expect, it } from 'vitest';
import { tokenize } from './lexer';

const kinds = (text: string) => tokenize(text).map((t) => [t.type, t.value]);

describe('tokenize', () => {
  it('splits keys, operators, values and punctuation, with offsets', () => {
    expect(tokenize('params.lr>=0.1')).toEqual([
      { type: 'word', value: 'params.lr', start: 0, end: 9 },
      { type: 'op', value: '>=', start: 9, end: 11 },
      { type: 'number', value: '0.1', start: 11, end: 14 },
    ]);
    expect(kinds("(a = 'x', b <> -2)")).toEqual([
      ['(', '('],
      ['word', 'a'],
      ['op', '='],
      ['string', 'x'],
      [',', ','],
      ['word', 'b'],
      ['op', '!='],
      ['number', '-2'],
      [')', ')'],
    ]);
  });

  it('reads every operator', () => {
    expect(kinds('= != <> < <= > >=').map(([, v]) => v)).toEqual(['=', '!=', '!=', '<', '<=', '>', '>=']);
  });

  it('keeps names with dots, dashes and slashes in one word', () => {
    expect(kinds('tags.mlflow.source-name/x_1')).toEqual([['word', 'tags.mlflow.source-name/x_1']]);
  });

  it('decodes quotes: doubled quotes, backslash-escaped quotes and backslashes', () => {
    expect(kinds(`'it''s' "say ""hi""" 'it\\'s' "a\\"b" 'back\\\\slash'`).map(([, v]) => v)).toEqual([
      "it's",
      'say "hi"',
      "it's",
      'a"b',
      'back\\slash',
    ]);
  });

  it('keeps other backslashes, so LIKE patterns can escape % and _', () => {
    expect(kinds(`'50\\% off\\_x'`)).toEqual([['string', '50\\% off\\_x']]);
  });

  it('reads backquoted names with doubled backquotes', () => {
    expect(kinds('`my-tag` `a``b`')).toEqual([
      ['backquoted', 'my-tag'],
      ['backquoted', 'a`b'],
    ]);
  });

  it('reads integers, decimals, exponents and negatives', () => {
    expect(kinds('42 -7 0.5 .5 5. 1e-3 -2.5E+10').map(([, v]) => v)).toEqual(['42', '-7', '0.5', '.5', '5.', '1e-3', '-2.5E+10']);
  });

  it('treats whitespace of any kind as a separator', () => {
    expect(kinds('a\n=\t1')).toEqual([
      ['word', 'a'],
      ['op', '='],
      ['number', '1'],
    ]);
  });

  it('rejects unknown characters, unterminated quotes, malformed and huge numbers', () => {
    expect(() => tokenize('a = #')).toThrow(/column 5: unexpected character '#'/);
    expect(() => tokenize("a = 'x")).toThrow(/column 5: unterminated string/);
    expect(() => tokenize('params.`x = 1')).toThrow(/column 8: unterminated name/);
    expect(() => tokenize('a = 12abc')).toThrow(/column 5: invalid number '12abc'/);
    expect(() => tokenize('a = 1e5000')).toThrow(/column 5: number '1e5000' is out of range/);
    expect(() => tokenize('a = -')).toThrow(/column 5: unexpected character '-'/);
  });
});
