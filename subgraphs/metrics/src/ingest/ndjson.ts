/**
 * POST /v1/metrics: NDJSON metric points for large volumes (training jobs).
 *
 * Signed by the gateway like GraphQL: `x-lab-context` must verify with the
 * internal secret, bound to the literal document 'POST /v1/metrics'.
 * The body (`Content-Encoding: gzip` accepted) is read as a stream, split into
 * lines by hand with a bounded line length, and cut into chunks of
 * CHUNK_LINES lines; each chunk is validated as a whole and inserted as one
 * block. The next chunk is read and validated while one is being inserted, and
 * no further (backpressure), so memory stays bounded by two chunks. A chunk is atomic: a bad line fails its chunk (nothing of it is
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
  INGEST_PATH,
  INGEST_SIGNED_DOCUMENT,
  type Logger,
  STOPPING_RETRY_AFTER_SECONDS,
  verifyContext,
} from '@lab/shared';
import type { Request, Response } from 'express';
import { encode, type IngestStore } from '../store/ingestStore';
import type { EncodedRows, IngestKeyRecord, MetricRow } from '../store/types';
import type { RunAccess } from './runAccess';
import { chunkToken, digestOf, IDEMPOTENCY_KEY } from './tokens';
import { ErrorList, isUuid, type MetricPointInput, validatePoint } from './validate';

/** The document the gateway signs the caller context for on this route, and the route (both in @lab/shared). */
export { INGEST_PATH, INGEST_SIGNED_DOCUMENT };
export const CHUNK_LINES = 25_000;
export const MAX_LINE_BYTES = 64 * 1024;

export interface IngestRouteOptions {
  store: IngestStore;
  internalSecret: string;
  log: Logger;
  runAccess(requestId: string, caller: Caller): RunAccess;
  /** Aborts at the service's stop cutoff: a stream still arriving stops where its stored chunks end. */
  stopping?: AbortSignal;
}

class Rejection extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
  ) {
    super(String(body.message ?? 'rejected'));
  }
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
        new Rejection(503, {
          code: 'SERVICE_UNAVAILABLE',
          message:
            'The metrics service is stopping: the first `accepted` points are stored; send the rest again, or the whole stream with the same Idempotency-Key',
        }),
      );
    if (options.stopping?.aborted) stop();
    else options.stopping?.addEventListener('abort', stop, { once: true });
    res.once('close', () => options.stopping?.removeEventListener('abort', stop));
    const runs = options.runAccess(requestId, caller);
    /** With a key: the chunks already stored under it, by index. */
    let stored: Map<number, IngestKeyRecord> | undefined;
    let accepted = 0;
    let chunkIndex = 0;
    let lineNo = 0;
    let chunk: { line: number; raw: string }[] = [];
    /** The insert in flight (at most one), and the rows it stores. */
    let inFlight: Promise<number> | undefined;
    const now = Date.now();

    /** Parses, validates and encodes one chunk; throws a Rejection naming its bad lines, or its key's other lines. */
    const prepare = async (lines: { line: number; raw: string }[], index: number) => {
      // The digest of the lines as sent, before any default ("now") is filled in: a retry has the same.
      const digest = key ? digestOf(lines.map((l) => l.raw)) : undefined;
      const before = stored?.get(index);
      if (before && before.digest !== digest) {
        throw new Rejection(409, {
          code: 'CONFLICT',
          reason: 'IDEMPOTENCY_KEY_REUSED',
          message: `Idempotency-Key ${JSON.stringify(key)} was used for other lines in chunk ${index} (lines ${lines[0]?.line}–${lines.at(-1)?.line}); earlier chunks are stored; send new points with a new key`,
        });
      }
      const errors = new ErrorList();
      const rows: MetricRow[] = [];
      const rowLines: number[] = [];
      const runIds = new Set<string>();
      for (const { line, raw } of lines) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(raw);
        } catch {
          errors.add(line, 'not valid JSON');
          continue;
        }
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
          errors.add(line, 'each line must be a JSON object');
          continue;
        }
        const p = parsed as MetricPointInput & { runId?: unknown };
        const point = validatePoint(p, { now, retentionDays: options.store.retentionDays });
        const runOk = isUuid(p.runId);
        if ('reasons' in point || !runOk) {
          const reasons = 'reasons' in point ? point.reasons : [];
          if (!runOk) reasons.unshift('runId must be a UUID');
          errors.add(line, reasons.join('; '));
          continue;
        }
        const runId = (p.runId as string).toLowerCase();
        runIds.add(runId);
        rows.push({
          name: point.name,
          value: point.value,
          step: point.step,
          timestampMs: point.timestampMs,
          tags: point.tags,
          runId,
          experimentId: '',
        });
        rowLines.push(line);
      }
      const first = lines[0]?.line;
      const last = lines.at(-1)?.line;
      lines.length = 0; // the raw text is no longer needed: free it before waiting on the registry and the insert
      const verdicts = new Map<string, Awaited<ReturnType<RunAccess['check']>>>();
      await Promise.all([...runIds].map(async (id) => verdicts.set(id, await runs.check(id))));
      for (let i = 0; i < rows.length; i++) {
        const row = rows[i] as MetricRow;
        const v = verdicts.get(row.runId);
        if (v?.ok) row.experimentId = v.experimentId;
        else if (v) errors.add(rowLines[i] as number, v.reason);
      }
      if (!errors.empty) {
        errors.errors.sort((a, b) => a.index - b.index);
        throw new Rejection(400, {
          code: 'BAD_USER_INPUT',
          message: `${errors.summary('line')} of chunk ${index} (lines ${first}–${last}); earlier chunks are stored`,
          errors: errors.errors.map((e) => ({ line: e.index, reason: e.reason })),
          errorCount: errors.count,
        });
      }
      const batch = encode(rows);
      return { batch, digest, duplicate: before !== undefined };
    };

    /** Inserts a chunk, then records it under the key (a retry then skips it); the rows stored. */
    const store = async (batch: EncodedRows, index: number, digest: string | undefined) => {
      await options.store.insert(batch, key && digest ? chunkToken('ndjson', caller.id, key, index, digest) : undefined);
      if (key && digest) await options.store.keys.record(caller.id, 'ndjson', key, index, { digest, rows: batch.rows.length });
      return batch.rows.length;
    };

    /** Waits for the insert in flight; its rows then count as accepted (its failure is thrown). */
    const settle = async () => {
      const pending = inFlight;
      inFlight = undefined;
      if (pending) accepted += await pending;
    };

    // Pipelined: chunk N+1 is parsed and validated while chunk N is inserted;
    // at most one insert in flight and one chunk being prepared (memory stays
    // bounded), and chunk N+1's insert starts only once chunk N is stored, so
    // a failure stops everything after it.
    const flush = async () => {
      if (chunk.length === 0) return;
      const lines = chunk;
      chunk = [];
      const index = chunkIndex++;
      const { batch, digest, duplicate } = await prepare(lines, index);
      await settle();
      // A chunk an earlier attempt stored under the key is not stored again: its rows keep that attempt's timestamps.
      const insert = duplicate ? Promise.resolve(batch.rows.length) : store(batch, index, digest);
      insert.catch(() => {}); // observed by settle(); never an unhandled rejection meanwhile
      inFlight = insert;
    };

    const pushLine = async (raw: string) => {
      lineNo++;
      const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (text.trim().length === 0) return;
      chunk.push({ line: lineNo, raw: text });
      if (chunk.length >= CHUNK_LINES) await flush();
    };

    try {
      if (key) stored = await options.store.keys.recorded(caller.id, 'ndjson', key);
      let rest = '';
      const decoder = new TextDecoder('utf-8');
      for await (const part of input as AsyncIterable<Buffer>) {
        rest += decoder.decode(part, { stream: true });
        let nl = rest.indexOf('\n');
        let start = 0;
        while (nl >= 0) {
          await pushLine(rest.slice(start, nl));
          start = nl + 1;
          nl = rest.indexOf('\n', start);
        }
        rest = rest.slice(start);
        if (rest.length > MAX_LINE_BYTES) {
          throw new Rejection(400, {
            code: 'BAD_USER_INPUT',
            message: `line ${lineNo + 1} is longer than ${MAX_LINE_BYTES} bytes`,
            errors: [{ line: lineNo + 1, reason: `longer than ${MAX_LINE_BYTES} bytes` }],
          });
        }
      }
      rest += decoder.decode();
      if (rest.length > 0) await pushLine(rest);
      await flush();
      await settle();
      log.info({ accepted, chunks: chunkIndex }, 'metrics ingested');
      res.status(200).json({ accepted });
    } catch (caught) {
      req.unpipe();
      input.destroy();
      req.resume();
      // The insert still in flight came first: its failure is the one to report; else its rows count.
      let err = caught;
      try {
        await settle();
      } catch (earlier) {
        err = earlier;
      }
      if (err instanceof Rejection) {
        if (err.status === 503) res.setHeader('Retry-After', String(STOPPING_RETRY_AFTER_SECONDS));
        res.status(err.status).json({ ...err.body, accepted });
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
  };
}
