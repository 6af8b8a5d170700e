/** The file-name rules (fileNames.ts): every hostile name refused with a reason, ordinary names of any script accepted. */
import { describe, expect, it } from 'vitest';
import { checkFileName, fileNameOrPrefixProblem } from './fileNames';
import { HOSTILE_NAMES } from './hostileFileNames';

const code = (f: () => unknown) => {
  try {
    f();
  } catch (err) {
    return (err as { extensions?: { code?: string } }).extensions?.code;
  }
  return 'accepted';
};

describe('checkFileName', () => {
  it.each(HOSTILE_NAMES.map((n) => [JSON.stringify(n).slice(0, 60), n]))('refuses %s', (_, name) => {
    expect(code(() => checkFileName(name))).toBe('BAD_USER_INPUT');
  });

  it.each([
    'model.safetensors',
    'checkpoint-1000/model-00001-of-00004.safetensors',
    'data.parquet',
    '.gitattributes',
    'eval results (final) v2.json',
    'données/été.csv',
    '日本語/データ.jsonl',
    'tokenizer+config=a@b,c~d.json',
    'a'.repeat(255),
  ])('accepts %s', (name) => {
    expect(checkFileName(name)).toBe(name);
  });

  it('says why', () => {
    expect(() => checkFileName('../x')).toThrow(/"\.\." segment/);
    expect(() => checkFileName('bidi\u202Etxt')).toThrow(/control, format/);
    expect(() => checkFileName('full\uFF0Fwidth')).toThrow(/compatibility characters/);
  });
});

describe('fileNameOrPrefixProblem', () => {
  it('takes a folder of names ending in "/" and refuses what the names refuse', () => {
    expect(fileNameOrPrefixProblem('checkpoints/')).toBeUndefined();
    expect(fileNameOrPrefixProblem('model.bin')).toBeUndefined();
    expect(fileNameOrPrefixProblem('../')).toMatch(/"\.\." segment/);
    expect(fileNameOrPrefixProblem('/')).toMatch(/empty/);
    expect(fileNameOrPrefixProblem(42)).toMatch(/not a string/);
  });
});
