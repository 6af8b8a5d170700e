/**
 * Line framing of POST /v1/metrics: the body's bytes (gunzipped already) as
 * numbered lines, handed on in chunks of CHUNK_LINES. The text is decoded as
 * UTF-8 across reads and split on "\n" by hand; a trailing "\r" is dropped,
 * blank lines are skipped (but counted), and no line may grow past
 * MAX_LINE_BYTES: a longer one stops the stream (400) before it is held whole.
 * The next chunk is read only once the one handed on has been taken
 * (backpressure).
 */
import { IngestRejection } from './ndjsonRejection';

export const CHUNK_LINES = 25_000;
export const MAX_LINE_BYTES = 64 * 1024;

/** A line as sent, with its number in the body (1-based, blank lines counted). */
export interface NumberedLine {
  line: number;
  raw: string;
}

function lineTooLong(line: number): IngestRejection {
  return new IngestRejection({
    code: 'BAD_USER_INPUT',
    message: `line ${line} is longer than ${MAX_LINE_BYTES} bytes`,
    errors: [{ line, reason: `longer than ${MAX_LINE_BYTES} bytes` }],
  });
}

/** The non-blank lines of a body, CHUNK_LINES at a time (the last chunk may be shorter). */
export async function* ndjsonChunks(input: AsyncIterable<Buffer>): AsyncGenerator<NumberedLine[], void, undefined> {
  const decoder = new TextDecoder('utf-8');
  let lineNo = 0;
  let chunk: NumberedLine[] = [];
  /** Counts a line and keeps it unless blank; true once the chunk is full. */
  const take = (raw: string): boolean => {
    lineNo++;
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (text.trim().length === 0) return false;
    chunk.push({ line: lineNo, raw: text });
    return chunk.length >= CHUNK_LINES;
  };
  let rest = '';
  for await (const part of input) {
    rest += decoder.decode(part, { stream: true });
    let nl = rest.indexOf('\n');
    let start = 0;
    while (nl >= 0) {
      if (take(rest.slice(start, nl))) {
        yield chunk;
        chunk = [];
      }
      start = nl + 1;
      nl = rest.indexOf('\n', start);
    }
    rest = rest.slice(start);
    if (rest.length > MAX_LINE_BYTES) throw lineTooLong(lineNo + 1);
  }
  rest += decoder.decode();
  if (rest.length > 0 && take(rest)) {
    yield chunk;
    chunk = [];
  }
  if (chunk.length > 0) yield chunk;
}
