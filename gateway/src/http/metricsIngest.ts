/**
 * POST /v1/metrics at the gateway, so a training job needs one URL and one
 * key: the caller is authenticated like any GraphQL request, then the body is
 * streamed unchanged (gzip or not) to the metrics subgraph with a caller
 * context signed for the ingest route. Nothing is buffered here: back-pressure
 * from the subgraph reaches the client. When the gateway stops, a stream still
 * arriving at the cutoff is ended there; the subgraph stores its whole chunks
 * and the client gets 503 with their count (`accepted`) and Retry-After.
 */
import { Readable, Transform } from 'node:stream';
import {
  CONTEXT_HEADER,
  INGEST_SIGNED_DOCUMENT,
  type Logger,
  REQUEST_ID_HEADER,
  STOPPING_RETRY_AFTER_SECONDS,
  signContext,
} from '@lab/shared';
import type { Request, RequestHandler, Response } from 'express';
import { admitRequest } from '../auth/admitRequest';
import type { Authenticator } from '../auth/authenticate';
import type { AuthFailureLimit } from '../auth/authFailureLimit';
import { sendAuthFailure } from '../auth/authFailures';
import { scopeOf } from '../observability/requestId';
import type { RateLimiter } from '../protection/rateLimiter';

/** Largest ingest body accepted (compressed bytes as sent), default 1 GiB. */
export const DEFAULT_INGEST_LIMIT_BYTES = 1024 ** 3;

export interface MetricsIngestOptions {
  authenticator: Authenticator;
  /** The metrics subgraph's ingest URL, e.g. http://127.0.0.1:4002/v1/metrics */
  ingestUrl: string;
  internalSecret: string;
  log: Logger;
  /** Largest body, in bytes (default DEFAULT_INGEST_LIMIT_BYTES). */
  limitBytes?: number;
  /** Per-caller rate limit: an empty bucket answers 429 RATE_LIMITED with Retry-After. */
  rateLimit?: Pick<RateLimiter, 'acquire' | 'message'>;
  /** Authenticates the caller, failed authentications limited per client address (past them, 429 RATE_LIMITED). */
  authFailures: AuthFailureLimit;
  /** Aborts at the gateway's stop cutoff: streams still arriving end there (above). */
  stopping?: AbortSignal;
}

const FORWARDED = ['content-type', 'content-encoding', 'idempotency-key'] as const;

function answer(res: Response, status: number, code: string, message: string): void {
  if (!res.headersSent) res.status(status).json({ code, message });
  else res.destroy();
}

/** Counts bytes and fails the stream past the limit. */
function limited(limitBytes: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      if (seen > limitBytes) done(Object.assign(new Error(`body larger than ${limitBytes} bytes`), { tooLarge: true }));
      else done(null, chunk);
    },
  });
}

/** The answer to a stream ended at the stop cutoff: 503, and how many of its first points the subgraph stored. */
async function answerCut(res: Response, upstream: globalThis.Response, log: Logger): Promise<void> {
  const told = (await upstream.json().catch(() => ({}))) as { accepted?: unknown };
  const accepted = typeof told.accepted === 'number' ? told.accepted : 0;
  log.info({ accepted, upstreamStatus: upstream.status }, 'metrics ingest cut by the stop');
  res.setHeader('Retry-After', String(STOPPING_RETRY_AFTER_SECONDS));
  res.setHeader('Connection', 'close');
  res.status(503).json({
    code: 'SERVICE_UNAVAILABLE',
    message: `The gateway is stopping: the first ${accepted} points of this stream are stored; send the rest again, or the whole stream with the same Idempotency-Key`,
    accepted,
  });
}

export function metricsIngest(options: MetricsIngestOptions): RequestHandler {
  const limitBytes = options.limitBytes ?? DEFAULT_INGEST_LIMIT_BYTES;
  return async (req: Request, res: Response) => {
    const { requestId, log } = scopeOf(res);
    if (options.stopping?.aborted) {
      req.resume();
      res.setHeader('Retry-After', String(STOPPING_RETRY_AFTER_SECONDS));
      return answer(res, 503, 'SERVICE_UNAVAILABLE', 'The gateway is stopping; send the request again (same Idempotency-Key)');
    }
    // Logging metrics is a write (docs/api/identity-and-scopes.md, Scopes): the same scope logMetrics needs.
    const admitted = await admitRequest(options, req, {
      scope: 'write',
      bucket: 'ingest',
      forbidden: "POST /v1/metrics needs the scope write; the caller's scopes do not grant it",
    });
    if ('failure' in admitted) {
      // Refused as the failure says (auth/authFailures.ts), draining what the client already sent.
      req.resume();
      return sendAuthFailure(res, admitted.failure, 'ingest');
    }
    const { caller } = admitted;
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limitBytes) {
      req.resume();
      return answer(res, 413, 'PAYLOAD_TOO_LARGE', `The body is larger than ${limitBytes} bytes`);
    }
    const headers: Record<string, string> = {
      [CONTEXT_HEADER]: signContext(options.internalSecret, { requestId, caller, query: INGEST_SIGNED_DOCUMENT }),
      [REQUEST_ID_HEADER]: requestId,
    };
    for (const name of FORWARDED) {
      const value = req.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    const body = req.pipe(limited(limitBytes));
    let tooLarge = false;
    body.on('error', (err) => {
      tooLarge = (err as { tooLarge?: boolean }).tooLarge === true;
    });
    let cut = false;
    const cutStream = () => {
      if (req.complete) return; // all sent: its answer comes as usual
      cut = true;
      req.unpipe(body);
      body.end();
      req.resume();
    };
    options.stopping?.addEventListener('abort', cutStream, { once: true });
    res.once('close', () => options.stopping?.removeEventListener('abort', cutStream));
    let upstream: globalThis.Response;
    try {
      upstream = await fetch(options.ingestUrl, {
        method: 'POST',
        headers,
        body: Readable.toWeb(body) as ReadableStream,
        duplex: 'half',
      } as RequestInit);
    } catch (err) {
      if (tooLarge) return answer(res, 413, 'PAYLOAD_TOO_LARGE', `The body is larger than ${limitBytes} bytes`);
      log.warn({ err }, 'metrics subgraph unreachable for ingest');
      return answer(res, 503, 'SERVICE_UNAVAILABLE', 'The metrics service is unreachable; retry with the same Idempotency-Key');
    }
    if (cut) return answerCut(res, upstream, log);
    res.status(upstream.status);
    const type = upstream.headers.get('content-type');
    if (type) res.setHeader('content-type', type);
    if (upstream.body) Readable.fromWeb(upstream.body as import('node:stream/web').ReadableStream).pipe(res);
    else res.end();
    options.log.debug({ requestId, status: upstream.status, callerId: caller.id }, 'metrics ingest forwarded');
  };
}
