/** Line framing of POST /v1/metrics: lines numbered as sent, whatever the reads; chunks of CHUNK_LINES; a bound on a line. */
import { describe, expect, it } from 'vitest';
import { CHUNK_LINES, MAX_LINE_BYTES, type NumberedLine, ndjsonChunks } from './ndjsonLines';
import { IngestRejection } from './ndjsonRejection';

async function* reads(...parts: (string | Buffer)[]): AsyncGenerator<Buffer> {
  for (const part of parts) yield Buffer.isBuffer(part) ? part : Buffer.from(part);
}

async function chunksOf(input: AsyncIterable<Buffer>): Promise<NumberedLine[][]> {
  const out: NumberedLine[][] = [];
  for await (const chunk of ndjsonChunks(input)) out.push([...chunk]);
  return out;
}

describe('ndjsonChunks', () => {
  it('numbers lines as sent across reads: blank lines counted and skipped, \\r dropped, the last line without \\n kept', async () => {
    const euro = Buffer.from('{"n":"€"}\n');
    const chunks = await chunksOf(reads('{"a":1}\r\n\n  \n{"b"', ':2}\n', euro.subarray(0, 7), euro.subarray(7), '{"c":3}'));
    expect(chunks).toEqual([
      [
        { line: 1, raw: '{"a":1}' },
        { line: 4, raw: '{"b":2}' },
        { line: 5, raw: '{"n":"€"}' },
        { line: 6, raw: '{"c":3}' },
      ],
    ]);
  });

  it('hands the lines on CHUNK_LINES at a time', async () => {
    const body = `${'{}\n'.repeat(CHUNK_LINES + 1)}`;
    const sizes = (await chunksOf(reads(body))).map((chunk) => chunk.length);
    expect(sizes).toEqual([CHUNK_LINES, 1]);
  });

  it('stops at a line longer than MAX_LINE_BYTES, naming it, before holding it whole', async () => {
    const long = 'x'.repeat(MAX_LINE_BYTES + 1);
    const failure = await chunksOf(reads('{}\n\n', long, long)).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(IngestRejection);
    expect((failure as IngestRejection).body).toEqual({
      code: 'BAD_USER_INPUT',
      message: `line 3 is longer than ${MAX_LINE_BYTES} bytes`,
      errors: [{ line: 3, reason: `longer than ${MAX_LINE_BYTES} bytes` }],
    });
  });
});
