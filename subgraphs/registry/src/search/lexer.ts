/**
 * Tokens of the filter language. Words are keys and keywords (the parser
 * tells them apart); quoted text is a value or, after `params.`/`tags.`, a
 * name; numbers keep their source text.
 */
import { filterError } from './errors';

export type TokenType = 'word' | 'string' | 'backquoted' | 'number' | 'op' | '(' | ')' | ',';

export interface Token {
  type: TokenType;
  /** Decoded value: a string without quotes and escapes, an operator, a word or number as written. */
  value: string;
  /** 0-based offsets of the token in the filter. */
  start: number;
  end: number;
}

/** Largest exponent a number literal may have (PostgreSQL's numeric overflows far beyond; this keeps it safe). */
export const MAX_EXPONENT = 1000;

const WORD_START = /[A-Za-z_]/;
const WORD_CHAR = /[A-Za-z0-9_.\-/]/;
const NUMBER = /-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE]([-+]?[0-9]+))?/y;
const OPERATORS = ['!=', '<>', '<=', '>=', '=', '<', '>'] as const;
const QUOTE_NAMES: Record<string, string> = { "'": 'single quote', '"': 'double quote', '`': 'backquote' };

/**
 * A quoted token starting at `start` (on its quote). The quote is escaped by
 * doubling it or with a backslash; `\\` is a backslash; any other backslash is
 * kept as is (so LIKE patterns keep `\%` and `\_`).
 */
function readQuoted(text: string, start: number): { value: string; end: number } {
  const quote = text[start] as string;
  let value = '';
  let i = start + 1;
  while (i < text.length) {
    const ch = text[i] as string;
    if (ch === quote) {
      if (text[i + 1] === quote) {
        value += quote;
        i += 2;
        continue;
      }
      return { value, end: i + 1 };
    }
    if (ch === '\\' && (text[i + 1] === quote || text[i + 1] === '\\')) {
      value += text[i + 1];
      i += 2;
      continue;
    }
    value += ch;
    i += 1;
  }
  throw filterError(
    text,
    start,
    `unterminated ${quote === '`' ? 'name' : 'string'}: no closing ${QUOTE_NAMES[quote]} for the one here`,
    `a closing ${quote}`,
  );
}

function readNumber(text: string, start: number): Token {
  NUMBER.lastIndex = start;
  const match = NUMBER.exec(text);
  if (!match) {
    throw filterError(text, start, `unexpected character '${text[start]}'`, 'a key, a value, an operator or a parenthesis');
  }
  const end = start + match[0].length;
  if (end < text.length && WORD_CHAR.test(text[end] as string)) {
    let stop = end;
    while (stop < text.length && WORD_CHAR.test(text[stop] as string)) stop += 1;
    throw filterError(text, start, `invalid number '${text.slice(start, stop)}'`, 'a number (e.g. 42, -0.5, 1e-3)');
  }
  if (match[1] !== undefined && Math.abs(Number(match[1])) > MAX_EXPONENT) {
    throw filterError(text, start, `number '${match[0]}' is out of range (exponent beyond ±${MAX_EXPONENT})`, 'a smaller number');
  }
  return { type: 'number', value: match[0], start, end };
}

/** The filter's tokens, in order. Throws a positioned BAD_USER_INPUT error on an unknown character or unclosed quote. */
export function tokenize(text: string): Token[] {
  const nul = text.indexOf('\0');
  // PostgreSQL text cannot hold NUL: refuse it here rather than fail in the database.
  if (nul >= 0) throw filterError(text, nul, 'the filter contains a NUL character', 'text without NUL characters');
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i] as string;
    if (/\s/.test(ch)) {
      i += 1;
    } else if (ch === '(' || ch === ')' || ch === ',') {
      tokens.push({ type: ch, value: ch, start: i, end: i + 1 });
      i += 1;
    } else if (ch === "'" || ch === '"' || ch === '`') {
      const { value, end } = readQuoted(text, i);
      tokens.push({ type: ch === '`' ? 'backquoted' : 'string', value, start: i, end });
      i = end;
    } else if (WORD_START.test(ch)) {
      let end = i + 1;
      while (end < text.length && WORD_CHAR.test(text[end] as string)) end += 1;
      tokens.push({ type: 'word', value: text.slice(i, end), start: i, end });
      i = end;
    } else if (ch === '-' || ch === '.' || (ch >= '0' && ch <= '9')) {
      const token = readNumber(text, i);
      tokens.push(token);
      i = token.end;
    } else {
      const op = OPERATORS.find((o) => text.startsWith(o, i));
      if (!op) {
        throw filterError(text, i, `unexpected character '${ch}'`, 'a key, a value, an operator or a parenthesis');
      }
      tokens.push({ type: 'op', value: op === '<>' ? '!=' : op, start: i, end: i + op.length });
      i += op.length;
    }
  }
  return tokens;
}
