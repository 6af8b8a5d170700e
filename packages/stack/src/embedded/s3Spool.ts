/**
 * Holds a request body whole before the embedded S3 server may store it, so
 * that a body whose signature or hash turns out wrong is never written: the
 * first MiB in memory, the rest in a private temporary file. Measures its size
 * and SHA-256 on the way.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, rmSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { refusal, type S3Refusal } from './s3Errors';

/** Bodies up to this size stay in memory. */
const MEMORY_BYTES = 1024 * 1024;

export interface SpooledBody {
  size: number;
  sha256: string;
  /** The body, from its first byte. */
  open(): Readable;
  /** Deletes the temporary file, if any. */
  dispose(): void;
}

/** A body over the size limit. */
export class BodyTooLarge extends Error {
  readonly refusal: S3Refusal;
  constructor(maxBytes: number) {
    super('body too large');
    this.refusal = refusal(400, 'EntityTooLarge', `Your proposed upload exceeds the maximum allowed size (${maxBytes} bytes).`);
  }
}

async function write(file: WriteStream, chunk: Buffer): Promise<void> {
  if (!file.write(chunk)) await new Promise<void>((resolve) => file.once('drain', () => resolve()));
}

export async function spool(body: AsyncIterable<Buffer>, dir: string, maxBytes: number): Promise<SpooledBody> {
  const hash = createHash('sha256');
  const memory: Buffer[] = [];
  let size = 0;
  let file: WriteStream | undefined;
  let filePath: string | undefined;
  const dispose = () => {
    if (filePath) rmSync(filePath, { force: true });
  };
  try {
    for await (const chunk of body) {
      size += chunk.length;
      if (size > maxBytes) throw new BodyTooLarge(maxBytes);
      hash.update(chunk);
      if (!file && size <= MEMORY_BYTES) {
        memory.push(chunk);
        continue;
      }
      if (!file) {
        filePath = path.join(dir, randomBytes(12).toString('hex'));
        file = createWriteStream(filePath, { mode: 0o600 });
        for (const held of memory.splice(0)) await write(file, held);
      }
      await write(file, chunk);
    }
    if (file) {
      file.end();
      await finished(file);
    }
  } catch (err) {
    file?.destroy();
    dispose();
    throw err;
  }
  const onDisk = filePath;
  return {
    size,
    sha256: hash.digest('hex'),
    open: () => (onDisk ? createReadStream(onDisk) : Readable.from(memory, { objectMode: false })),
    dispose,
  };
}
