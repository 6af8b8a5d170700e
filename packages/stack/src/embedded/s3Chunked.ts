/**
 * Decodes an `aws-chunked` request body (`content-encoding: aws-chunked`,
 * what the AWS SDKs send for streams): `<hex size>[;chunk-signature=<sig>]\r\n
 * <data>\r\n` ... a zero-size chunk, then trailing headers (the checksum) when
 * the body has a trailer. With STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]
 * every chunk's signature chains from the request's signature and is checked
 * as the chunk ends, the trailer's too. Out come the data bytes only, which
 * must add up to x-amz-decoded-content-length.
 */
import { createHash, type Hash, timingSafeEqual } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { refusal, type S3Refusal } from './s3Errors';
import { EMPTY_SHA256 } from './s3Signature';

/** What signed chunks chain from (s3Signature's `Signed`). */
export interface ChunkSigning {
  seedSignature: string;
  longDate: string;
  scope: string;
  signString(text: string): Promise<string>;
}

/** A body the decoder refused, with the S3 answer. */
export class BadChunkedBody extends Error {
  constructor(readonly refusal: S3Refusal) {
    super(refusal.message);
  }
}

/** Longest size line or trailer line read (a chunk header is ~100 bytes). */
const MAX_LINE_BYTES = 4096;

type State = 'size' | 'data' | 'dataEnd' | 'trailer' | 'finalLine' | 'done';

const incomplete = (why: string) =>
  new BadChunkedBody(refusal(400, 'IncompleteBody', `The aws-chunked body is malformed: ${why}.`));
const badSignature = () =>
  new BadChunkedBody(
    refusal(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.'),
  );
const sameSignature = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

export class AwsChunkedDecoder extends Transform {
  private state: State = 'size';
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private remaining = 0;
  private decoded = 0;
  private chunkHash: Hash | undefined;
  private chunkSignature: string | undefined;
  private previousSignature: string;
  private readonly trailerLines: string[] = [];
  private trailerSignature: string | undefined;

  constructor(private readonly options: { decodedLength: number; trailer: boolean; signing?: ChunkSigning | undefined }) {
    super();
    this.previousSignature = options.signing?.seedSignature ?? '';
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.consume(chunk).then(() => done(), done);
  }

  override _flush(done: TransformCallback): void {
    if (this.state !== 'done') {
      done(incomplete('it ends before its final chunk'));
    } else if (this.decoded !== this.options.decodedLength) {
      done(incomplete(`it holds ${this.decoded} bytes, x-amz-decoded-content-length says ${this.options.decodedLength}`));
    } else {
      done();
    }
  }

  /** The next CRLF-terminated line from `buf` at `at`, or undefined when it continues in the next buffer. */
  private line(buf: Buffer, at: number): { text: string; next: number } | undefined {
    const nl = buf.indexOf(0x0a, at);
    const piece = buf.subarray(at, nl < 0 ? buf.length : nl);
    this.pendingBytes += piece.length;
    if (this.pendingBytes > MAX_LINE_BYTES) throw incomplete('a line is too long');
    this.pending.push(piece);
    if (nl < 0) return undefined;
    const text = Buffer.concat(this.pending).toString('latin1');
    this.pending = [];
    this.pendingBytes = 0;
    if (!text.endsWith('\r')) throw incomplete('a line does not end with CRLF');
    return { text: text.slice(0, -1), next: nl + 1 };
  }

  private async consume(buf: Buffer): Promise<void> {
    let at = 0;
    while (at < buf.length) {
      if (this.state === 'data') {
        const piece = buf.subarray(at, at + this.remaining);
        this.chunkHash?.update(piece);
        this.push(piece);
        this.remaining -= piece.length;
        at += piece.length;
        if (this.remaining === 0) this.state = 'dataEnd';
        continue;
      }
      if (this.state === 'done') throw incomplete('bytes follow the final chunk');
      const line = this.line(buf, at);
      if (!line) return;
      at = line.next;
      await this.onLine(line.text);
    }
  }

  private async onLine(text: string): Promise<void> {
    switch (this.state) {
      case 'size':
        return this.onSizeLine(text);
      case 'dataEnd':
        if (text !== '') throw incomplete('a chunk is longer than its size');
        await this.checkChunk(this.chunkHash?.digest('hex') ?? EMPTY_SHA256);
        this.state = 'size';
        return;
      case 'trailer':
        if (text !== '') {
          const colon = text.indexOf(':');
          if (colon <= 0) throw incomplete('a trailer line is not name:value');
          const name = text.slice(0, colon).trim().toLowerCase();
          const value = text.slice(colon + 1).trim();
          if (name === 'x-amz-trailer-signature') this.trailerSignature = value;
          else this.trailerLines.push(`${name}:${value}\n`);
          return;
        }
        await this.checkTrailer();
        this.state = 'done';
        return;
      case 'finalLine':
        if (text !== '') throw incomplete('the final chunk is not followed by an empty line');
        this.state = 'done';
        return;
      default:
        throw incomplete('unexpected line');
    }
  }

  private async onSizeLine(text: string): Promise<void> {
    const m = /^([0-9a-fA-F]{1,12})(?:;chunk-signature=([0-9a-f]{64}))?$/.exec(text);
    if (!m) throw incomplete('a chunk size line is not <hex size>[;chunk-signature=<signature>]');
    const size = Number.parseInt(m[1] as string, 16);
    if (this.options.signing && !m[2]) throw badSignature();
    this.chunkSignature = m[2];
    if (this.decoded + size > this.options.decodedLength) throw incomplete('it holds more than x-amz-decoded-content-length');
    this.decoded += size;
    if (size > 0) {
      this.remaining = size;
      this.chunkHash = this.options.signing ? createHash('sha256') : undefined;
      this.state = 'data';
      return;
    }
    await this.checkChunk(EMPTY_SHA256);
    this.state = this.options.trailer ? 'trailer' : 'finalLine';
  }

  /** A chunk's signature: over the previous one and the hash of its data. */
  private async checkChunk(dataHash: string): Promise<void> {
    const signing = this.options.signing;
    if (!signing) return;
    const expected = await signing.signString(
      ['AWS4-HMAC-SHA256-PAYLOAD', signing.longDate, signing.scope, this.previousSignature, EMPTY_SHA256, dataHash].join('\n'),
    );
    if (!this.chunkSignature || !sameSignature(this.chunkSignature, expected)) throw badSignature();
    this.previousSignature = expected;
  }

  /** The trailer's signature: over the final chunk's and the hash of the trailing headers. */
  private async checkTrailer(): Promise<void> {
    const signing = this.options.signing;
    if (!signing) return;
    const trailerHash = createHash('sha256').update(this.trailerLines.join('')).digest('hex');
    const expected = await signing.signString(
      ['AWS4-HMAC-SHA256-TRAILER', signing.longDate, signing.scope, this.previousSignature, trailerHash].join('\n'),
    );
    if (!this.trailerSignature || !sameSignature(this.trailerSignature, expected)) throw badSignature();
  }
}
