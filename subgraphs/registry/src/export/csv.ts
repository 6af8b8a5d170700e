/**
 * CSV as RFC 4180 writes it: fields separated by commas, lines ended by CRLF,
 * a field quoted (and its quotes doubled) when it holds a comma, a quote, a
 * line break or leading/trailing spaces; empty for null and undefined. Values
 * of a run's JSON (params, config leaves) are written as they are: strings
 * bare, numbers and booleans as JSON writes them, anything else as JSON.
 *
 * Formula injection: a spreadsheet opening the file runs a cell that starts
 * with `=`, `+`, `-`, `@` (or a tab or carriage return before one) as a
 * formula. Such a text cell gets a leading `'` (OWASP's advice; spreadsheets
 * show the text, the quote hidden). Numbers are written as they are, and so
 * is a text that is a plain decimal number (a param "-0.5"): a spreadsheet
 * reads it as that number, no formula.
 */

/** Starts a cell a spreadsheet may read as a formula. */
const FORMULA_START = /^[=+\-@\t\r]/;
/** A decimal number as text, sign and exponent allowed. */
const PLAIN_NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A text cell made safe to open in a spreadsheet (see above). */
export function neutraliseFormula(text: string): string {
  return FORMULA_START.test(text) && !PLAIN_NUMBER.test(text) ? `'${text}` : text;
}

/** One field's text. */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text =
    typeof value === 'string'
      ? neutraliseFormula(value)
      : typeof value === 'number' || typeof value === 'boolean'
        ? String(value)
        : value instanceof Date
          ? value.toISOString()
          : JSON.stringify(value);
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One line, CRLF included. */
export function csvLine(values: readonly unknown[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}

/** The value at a path of keys in a JSON object (undefined when a step is missing or not an object). */
export function valueAt(object: unknown, path: readonly string[]): unknown {
  let at: unknown = object;
  for (const key of path) {
    if (typeof at !== 'object' || at === null || Array.isArray(at)) return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return at;
}
