/**
 * POST /v1/metrics: NDJSON metric points for large volumes (training jobs),
 * the HTTP side: the request's signature and headers, the stream, the
 * pipelined inserts and the status of the answer.
 *
 * Signed by the gateway like GraphQL: `x-lab-context` must verify with the
 * internal secret, bound to the literal document 'POST /v1/metrics'.
 * The body (`Content-Encoding: gzip` accepted) is read as a stream, framed into
 * lines with a bounded line length and cut into chunks of CHUNK_LINES lines
 * (ndjsonLines.ts); each chunk is validated as a whole (ndjsonChunk.ts) and
 * inserted as one block. The next chunk is read and validated while one is
 * being inserted, and no further (backpressure), so memory stays bounded by
 * two chunks. A chunk is atomic: a bad line fails its chunk (nothing of it is
 * stored) with 400 `{ errors: [{ line, reason }], accepted }`, `accepted`
 * counting the rows of the chunks stored before it; a failed insert stops the
 * stream the same way. With `Idempotency-Key`, each chunk is recorded
 * under the key with the digest of its lines as sent (store/ingestKeysStore.ts):
 * a retry of the same stream skips the chunks already stored (their rows keep
 * the first attempt's timestamps) and stores the rest; a chunk with other lines
 * under the key is a 409 CONFLICT. The insert's dedup token carries the same
 * digest, so two attempts at once still store a chunk once. When the service stops, a stream still arriving
 * at the cutoff stops there: 503 SERVICE_UNAVAILABLE with Retry-After and `accepted`.
 */
import { PassThrough } from 'node:stream';
import { createGunzip } from 'node:zlib';
import {
  type Caller,
  CONTEXT_HEADER,
  ERROR_CODES,
  INGEST_PATH,
  INGEST_SIGNED_DOCUMENT,
  type Logger,
  STOPPING_RETRY_AFTER_SECONDS,
  verifyContext,
} from '@lab/shared';
import type { Request, Response } from 'express';
import type { IngestStore } from '../store/ingestStore';
import type { EncodedRows } from '../store/types';
import { type ChunkContext, type PreparedChunk, prepareChunk } from './ndjsonChunk';
import { ndjsonChunks } from './ndjsonLines';
import { IngestRejection } from './ndjsonRejection';
import type { RunAccess } from './runAccess';
import { chunkToken, IDEMPOTENCY_KEY } from './tokens';

/** The document the gateway signs the caller context for on this route, and the route (both in @lab/shared). */
export { INGEST_PATH, INGEST_SIGNED_DOCUMENT };

export interface IngestRouteOptions {
  store: IngestStore;
  internalSecret: string;
  log: Logger;
  runAccess(requestId: string, caller: Caller): RunAccess;
  /** Aborts at the service's stop cutoff: a stream still arriving stops where its stored chunks end. */
  stopping?: AbortSignal;
}

/**
 * Pipelined inserts: chunk N+1 is prepared while chunk N is inserted; at most
 * one insert in flight, and chunk N+1's insert starts only once chunk N is
 * stored, so a failure stops everything after it.
 */
class ChunkInserts {
  /** The rows of the chunks stored so far. */
  accepted = 0;
  /** The insert in flight (at most one), and the rows it stores. */
  private inFlight: Promise<number> | undefined;

  constructor(
    private readonly store: IngestStore,
    private readonly callerId: string,
    private readonly key: string | undefined,
  ) {}

  /** Waits for the insert in flight, then starts this chunk's. */
  async add({ batch, digest, duplicate }: PreparedChunk, index: number): Promise<void> {
    await this.settle();
    // A chunk an earlier attempt stored under the key is not stored again: its rows keep that attempt's timestamps.
    const insert = duplicate ? Promise.resolve(batch.rows.length) : this.insert(batch, index, digest);
    insert.catch(() => {}); // observed by settle(); never an unhandled rejection meanwhile
    this.inFlight = insert;
  }

  /** Waits for the insert in flight; its rows then count as accepted (its failure is thrown). */
  async settle(): Promise<void> {
    const pending = this.inFlight;
    this.inFlight = undefined;
    if (pending) this.accepted += await pending;
  }

  /** Inserts a chunk, then records it under the key (a retry then skips it); the rows stored. */
  private async insert(batch: EncodedRows, index: number, digest: string | undefined): Promise<number> {
    const { store, callerId, key } = this;
    await store.insert(batch, key && digest ? chunkToken('ndjson', callerId, key, index, digest) : undefined);
    if (key && digest) await store.keys.record(callerId, 'ndjson', key, index, { digest, rows: batch.rows.length });
    return batch.rows.length;
  }
}

/** The answer to a stream stopped short: a rejection's own status, a registry outage, bad gzip, else INTERNAL. */
function answerFailure(res: Response, err: unknown, accepted: number, log: Logger, requestId: string): void {
  if (err instanceof IngestRejection) {
    const { code } = err.body;
    if (code === 'SERVICE_UNAVAILABLE') res.setHeader('Retry-After', String(STOPPING_RETRY_AFTER_SECONDS));
    res.status(ERROR_CODES[code].httpStatus).json({ ...err.body, accepted });
    return;
  }
  const code = (err as { extensions?: { code?: string } }).extensions?.code;
  if (code === 'SERVICE_UNAVAILABLE') {
    res.status(503).json({ code, message: (err as Error).message, accepted });
    return;
  }
  if ((err as { code?: string }).code === 'Z_DATA_ERROR' || (err as { code?: string }).code === 'Z_BUF_ERROR') {
    res.status(400).json({ code: 'BAD_USER_INPUT', message: 'body is not valid gzip', accepted });
    return;
  }
  log.error({ err }, 'metrics ingest failed');
  res.status(500).json({ code: 'INTERNAL', message: `Internal error (request id ${requestId})`, accepted });
}

export function ingestHandler(options: IngestRouteOptions) {
  return async (req: Request, res: Response): Promise<void> => {
    const header = req.headers[CONTEXT_HEADER];
    const verdict = verifyContext(
      options.internalSecret,
      typeof header === 'string' ? header : undefined,
      INGEST_SIGNED_DOCUMENT,
    );
    if (!verdict.ok) {
      req.resume();
      res
        .status(401)
        .json({ code: 'UNAUTHENTICATED', message: `accepts only requests signed by the gateway: ${verdict.reason}` });
      return;
    }
    const { requestId, caller } = verdict.context;
    const log = options.log.child({ requestId });
    const keyHeader = req.headers['idempotency-key'];
    const key = typeof keyHeader === 'string' ? keyHeader : undefined;
    if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) {
      req.resume();
      res
        .status(400)
        .json({ code: 'BAD_USER_INPUT', message: 'Idempotency-Key must be 1 to 128 printable ASCII characters', accepted: 0 });
      return;
    }
    const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
    if (encoding !== 'identity' && encoding !== 'gzip') {
      req.resume();
      res.status(415).json({ code: 'BAD_USER_INPUT', message: 'Content-Encoding must be gzip or absent', accepted: 0 });
      return;
    }
    // Never iterate req itself: leaving the loop early would destroy it with its
    // socket, and the 400 could not be sent. On a rejection the rest of the body is drained.
    const input = req.pipe(encoding === 'gzip' ? createGunzip() : new PassThrough());
    const stop = () =>
      input.destroy(
        new IngestRejection({
          code: 'SERVICE_UNAVAILABLE',
          message:
            'The metrics service is stopping: the first `accepted` points are stored; send the rest again, or the whole stream with the same Idempotency-Key',
        }),
      );
    if (options.stopping?.aborted) stop();
    else options.stopping?.addEventListener('abort', stop, { once: true });
    res.once('close', () => options.stopping?.removeEventListener('abort', stop));
    const context: ChunkContext = {
      key,
      stored: undefined,
      rules: { now: Date.now(), retentionDays: options.store.retentionDays },
      runs: options.runAccess(requestId, caller),
    };
    const inserts = new ChunkInserts(options.store, caller.id, key);
    let chunks = 0;

    try {
      if (key) context.stored = await options.store.keys.recorded(caller.id, 'ndjson', key);
      for await (const lines of ndjsonChunks(input as AsyncIterable<Buffer>)) {
        const index = chunks++;
        await inserts.add(await prepareChunk(lines, index, context), index);
      }
      await inserts.settle();
      log.info({ accepted: inserts.accepted, chunks }, 'metrics ingested');
      res.status(200).json({ accepted: inserts.accepted });
    } catch (caught) {
      req.unpipe();
      input.destroy();
      req.resume();
      // The insert still in flight came first: its failure is the one to report; else its rows count.
      let err = caught;
      try {
        await inserts.settle();
      } catch (earlier) {
        err = earlier;
      }
      answerFailure(res, err, inserts.accepted, log, requestId);
    }
  };
}
