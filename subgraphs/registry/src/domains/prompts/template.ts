/**
 * Prompt templates: `{{name}}` placeholders (MLflow's prompt syntax). A name
 * is `[A-Za-z_][A-Za-z0-9_.]*`; whitespace inside the braces is allowed
 * (`{{ name }}`). Every `{{` must be closed by `}}` around a valid name; a lone
 * `}}` is plain text (JSON examples in prompts are common). Rendering is one
 * pass: values are inserted as they are, never expanded again.
 */
import { labError } from '@lab/shared';

const NAME = /^[A-Za-z_][A-Za-z0-9_.]*$/;
export const MAX_TEMPLATE_LENGTH = 100_000;
export const MAX_VARIABLES = 200;

export type TemplatePart = { text: string } | { variable: string };

export class TemplateSyntaxError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(message);
  }
}

/** Splits a template into text and placeholders; throws TemplateSyntaxError. */
export function parseTemplate(template: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let at = 0;
  while (at < template.length) {
    const open = template.indexOf('{{', at);
    if (open < 0) {
      parts.push({ text: template.slice(at) });
      break;
    }
    if (open > at) parts.push({ text: template.slice(at, open) });
    const close = template.indexOf('}}', open + 2);
    if (close < 0) throw new TemplateSyntaxError(`unclosed "{{" at position ${open}`, open);
    const inner = template.slice(open + 2, close);
    if (inner.includes('{{')) throw new TemplateSyntaxError(`unclosed "{{" at position ${open}`, open);
    const name = inner.trim();
    if (!NAME.test(name)) {
      const shown = name.length > 40 ? `${name.slice(0, 40)}…` : name;
      throw new TemplateSyntaxError(
        `invalid placeholder "{{${shown}}}" at position ${open}: a name starts with a letter or _ and contains only letters, digits, _ and .`,
        open,
      );
    }
    parts.push({ variable: name });
    at = close + 2;
  }
  return parts;
}

/** The variables of a template, in order of first use. */
export function templateVariables(template: string): string[] {
  const seen = new Set<string>();
  for (const part of parseTemplate(template)) if ('variable' in part) seen.add(part.variable);
  return [...seen];
}

/**
 * Checks a template at the edge and returns its variables; when the caller
 * declared `variables`, they must be exactly the parsed set (any order).
 */
export function checkTemplate(field: string, template: string, declared?: readonly string[] | null): string[] {
  if (template.length === 0) throw labError('BAD_USER_INPUT', `${field} must not be empty`, { field });
  if (template.length > MAX_TEMPLATE_LENGTH) {
    throw labError('BAD_USER_INPUT', `${field} must be at most ${MAX_TEMPLATE_LENGTH} characters (got ${template.length})`, {
      field,
    });
  }
  let variables: string[];
  try {
    variables = templateVariables(template);
  } catch (err) {
    if (err instanceof TemplateSyntaxError) {
      throw labError('BAD_USER_INPUT', `${field}: ${err.message}`, { field, position: err.position });
    }
    throw err;
  }
  if (variables.length > MAX_VARIABLES) {
    throw labError('BAD_USER_INPUT', `${field} may use at most ${MAX_VARIABLES} variables (got ${variables.length})`, { field });
  }
  if (declared !== undefined && declared !== null) {
    const parsed = new Set(variables);
    const given = new Set(declared);
    const missing = variables.filter((v) => !given.has(v));
    const extra = [...given].filter((v) => !parsed.has(v));
    if (missing.length > 0 || extra.length > 0) {
      const says = [
        missing.length > 0 ? `missing from variables: ${missing.join(', ')}` : '',
        extra.length > 0 ? `not in the template: ${extra.join(', ')}` : '',
      ].filter(Boolean);
      throw labError('BAD_USER_INPUT', `variables must be exactly the template's placeholders (${says.join('; ')})`, {
        field: 'variables',
        missing,
        extra,
      });
    }
  }
  return variables;
}

export interface Rendered {
  text: string;
  /** Given values the template does not use. */
  unusedValues: string[];
}

function valueText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/**
 * Fills a template. Every variable needs a value (BAD_USER_INPUT naming the
 * missing ones; null counts as missing); strings go in as they are, numbers
 * and booleans as text, objects and arrays as JSON. Extra values are not an
 * error: they are reported as unusedValues.
 */
export function renderTemplate(template: string, values: Record<string, unknown>): Rendered {
  const parts = parseTemplate(template);
  const used = new Set<string>();
  const missing: string[] = [];
  for (const part of parts) {
    if (!('variable' in part) || used.has(part.variable)) continue;
    used.add(part.variable);
    if (values[part.variable] === undefined || values[part.variable] === null) missing.push(part.variable);
  }
  if (missing.length > 0) {
    throw labError('BAD_USER_INPUT', `values is missing the variables: ${missing.join(', ')}`, { field: 'values', missing });
  }
  const text = parts.map((p) => ('variable' in p ? valueText(values[p.variable]) : p.text)).join('');
  return { text, unusedValues: Object.keys(values).filter((k) => !used.has(k)) };
}
