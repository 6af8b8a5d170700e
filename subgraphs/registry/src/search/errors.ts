/**
 * Errors of the filter language: BAD_USER_INPUT GraphQL errors whose message
 * names the 1-based column and shows the filter with a caret under it, e.g.
 *
 *   Invalid filter at column 13: expected a value after '=', found 'and'
 *     params.lr = and status = 'X'
 *                 ^
 *
 * and whose extensions carry `filter: { position, expected }` (position is
 * the same 1-based column) for clients that underline the input.
 */
import { labError } from '@lab/shared';
import type { GraphQLError } from 'graphql';

/** Characters of context shown either side of the error in a long filter. */
const WINDOW = 50;

export interface FilterErrorDetails {
  /** 1-based column (character offset + 1) of the error. */
  position: number;
  /** What the parser expected there, in words (e.g. "a value", "')'"). */
  expected: string;
}

/** The line shown under the message: the filter (or a window of it) on one line, and the caret's offset in it. */
export function excerpt(text: string, offset: number): { line: string; caret: number } {
  // Control characters (newlines, tabs, NUL) become spaces, so the caret lines up.
  const flat = text
    .split('')
    .map((ch) => (ch < ' ' || ch === '\x7f' ? ' ' : ch))
    .join('');
  const at = Math.max(0, Math.min(offset, flat.length));
  const start = Math.max(0, at - WINDOW);
  const end = Math.min(flat.length, at + WINDOW);
  const head = start > 0 ? '…' : '';
  const tail = end < flat.length ? '…' : '';
  return { line: `${head}${flat.slice(start, end)}${tail}`, caret: head.length + at - start };
}

/**
 * The error for a filter `text` failing at character `offset` (0-based).
 * `message` says what went wrong; `expected` is what would have been valid there.
 */
export function filterError(text: string, offset: number, message: string, expected: string): GraphQLError {
  const position = offset + 1;
  const { line, caret } = excerpt(text, offset);
  const details: FilterErrorDetails = { position, expected };
  return labError('BAD_USER_INPUT', `Invalid filter at column ${position}: ${message}\n  ${line}\n  ${' '.repeat(caret)}^`, {
    filter: details,
  });
}

/** How a token is named in messages: quoted source text, or "the end of the filter". */
export function describeFound(text: string | undefined): string {
  if (text === undefined) return 'the end of the filter';
  const shown = text.length > 30 ? `${text.slice(0, 30)}…` : text;
  return `'${shown}'`;
}
