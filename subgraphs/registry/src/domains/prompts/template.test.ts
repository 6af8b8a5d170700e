import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { checkTemplate, parseTemplate, renderTemplate, TemplateSyntaxError, templateVariables } from './template';

function codeOf(work: () => unknown): { code: unknown; message: string; extensions: Record<string, unknown> } {
  try {
    work();
  } catch (err) {
    if (err instanceof GraphQLError) return { code: err.extensions.code, message: err.message, extensions: err.extensions };
    throw err;
  }
  throw new Error('expected an error');
}

describe('template variables', () => {
  it('finds {{name}} placeholders in order of first use, once each', () => {
    expect(templateVariables('Hi {{name}}, {{ greeting }} {{name}} from {{user.city}} and {{_x1}}')).toEqual([
      'name',
      'greeting',
      'user.city',
      '_x1',
    ]);
  });

  it('allows whitespace (also newlines) inside the braces', () => {
    expect(templateVariables('{{\n  q\t}}')).toEqual(['q']);
  });

  it('treats text without placeholders and lone closing braces as text', () => {
    expect(templateVariables('no vars here')).toEqual([]);
    expect(templateVariables('{"a": {"b": 1}}')).toEqual([]);
    expect(templateVariables('single { braces } are text')).toEqual([]);
    expect(parseTemplate('a}}b')).toEqual([{ text: 'a}}b' }]);
  });

  it('splits text and variables', () => {
    expect(parseTemplate('A {{x}}B{{ y }}')).toEqual([{ text: 'A ' }, { variable: 'x' }, { text: 'B' }, { variable: 'y' }]);
  });

  it('rejects an unclosed {{ with its position', () => {
    expect(() => parseTemplate('Hello {{name')).toThrow(TemplateSyntaxError);
    expect(() => parseTemplate('Hello {{name')).toThrow(/unclosed "\{\{" at position 6/);
    expect(() => parseTemplate('{{a {{b}}')).toThrow(/unclosed/);
  });

  it('rejects invalid placeholder names', () => {
    for (const bad of ['{{}}', '{{ }}', '{{1abc}}', '{{a b}}', '{{a-b}}', '{{.a}}', '{{a}b}}']) {
      expect(() => parseTemplate(bad), bad).toThrow(TemplateSyntaxError);
    }
  });
});

describe('checkTemplate', () => {
  it('returns the variables and accepts a declared list equal as a set', () => {
    expect(checkTemplate('template', '{{a}} {{b}}')).toEqual(['a', 'b']);
    expect(checkTemplate('template', '{{a}} {{b}}', ['b', 'a'])).toEqual(['a', 'b']);
  });

  it('names missing and extra declared variables', () => {
    const err = codeOf(() => checkTemplate('template', '{{a}} {{b}}', ['a', 'c']));
    expect(err.code).toBe('BAD_USER_INPUT');
    expect(err.message).toMatch(/missing from variables: b/);
    expect(err.message).toMatch(/not in the template: c/);
    expect(err.extensions).toMatchObject({ missing: ['b'], extra: ['c'] });
  });

  it('answers syntax errors and empty templates as BAD_USER_INPUT naming the field', () => {
    expect(codeOf(() => checkTemplate('template', 'x {{'))).toMatchObject({
      code: 'BAD_USER_INPUT',
      message: /^template: unclosed/,
    });
    expect(codeOf(() => checkTemplate('template', ''))).toMatchObject({
      code: 'BAD_USER_INPUT',
      message: /template must not be empty/,
    });
  });
});

describe('renderTemplate', () => {
  it('fills every placeholder once, without expanding values again', () => {
    expect(renderTemplate('{{a}}-{{ a }}-{{b}}', { a: '{{b}}', b: 2 })).toEqual({ text: '{{b}}-{{b}}-2', unusedValues: [] });
  });

  it('writes booleans as text and objects as JSON, reports unused values', () => {
    expect(renderTemplate('{{x}} {{y}}', { x: true, y: { k: [1] }, z: 'extra' })).toEqual({
      text: 'true {"k":[1]}',
      unusedValues: ['z'],
    });
  });

  it('names the missing variables (null counts as missing)', () => {
    const err = codeOf(() => renderTemplate('{{a}} {{b}} {{c}}', { b: null, c: '' }));
    expect(err.code).toBe('BAD_USER_INPUT');
    expect(err.message).toBe('values is missing the variables: a, b');
    expect(err.extensions.missing).toEqual(['a', 'b']);
  });
});
