/**
 * CSV as RFC 4180 writes it: fields separated by commas, lines ended by CRLF,
 * a field quoted (and its quotes doubled) when it holds a comma, a quote, a
 * line break or leading/trailing spaces; empty for null and undefined. Values
 * of a run's JSON (params, config leaves) are written as they are: strings
 * bare, numbers and booleans as JSON writes them, anything else as JSON.
 */

/** One field's text. */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text =
    typeof value === 'string'
      ? value
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
