/**
 * GET /v1/export/... at the gateway: downloads on the platform's one port.
 * The caller is authenticated like a GraphQL request (API key or JWT in the
 * Authorization header), needs the read scope and a token of the rate limit,
 * then the request goes to the subgraph owning the data with a caller context
 * signed for this exact request line; the subgraph checks the caller's access
 * to the project when it reads. Its answer (file or JSON error) is streamed
 * back unchanged, nothing buffered: a slow client slows the subgraph's reads.
 *   /v1/export/experiments/{id}/runs.csv             registry
 *   /v1/export/runs/{id}/metrics/{name}.csv|.parquet metrics
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  CONTEXT_HEADER,
  EXPORT_PATH,
  exportSignedDocument,
  type Logger,
  REQUEST_ID_HEADER,
  type SubgraphName,
  signContext,
} from '@lab/shared';
import type { Request, RequestHandler, Response } from 'express';
import { admitRequest } from '../auth/admitRequest';
import type { Authenticator } from '../auth/authenticate';
import type { AuthFailureLimit } from '../auth/authFailureLimit';
import { sendAuthFailure } from '../auth/authFailures';
import { scopeOf } from '../observability/requestId';
import type { RateLimiter } from '../protection/rateLimiter';

export interface ExportProxyOptions {
  authenticator: Authenticator;
  authFailures: AuthFailureLimit;
  /** The subgraphs' base URLs (config.subgraphUrls). */
  subgraphUrls: Record<SubgraphName, string>;
  internalSecret: string;
  log: Logger;
  rateLimit?: Pick<RateLimiter, 'acquire' | 'message'>;
}

/** Which subgraph owns an export path, or undefined for an unknown one. */
export function exportOwner(path: string): SubgraphName | undefined {
  if (path.startsWith(`${EXPORT_PATH}/experiments/`)) return 'registry';
  if (path.startsWith(`${EXPORT_PATH}/runs/`)) return 'metrics';
  return undefined;
}

const PASSED_BACK = ['content-type', 'content-disposition', 'content-length', 'cache-control', 'retry-after'] as const;

function answer(res: Response, status: number, code: string, message: string): void {
  if (!res.headersSent) res.status(status).json({ code, message });
  else res.destroy();
}

export function exportProxy(options: ExportProxyOptions): RequestHandler {
  return async (req: Request, res: Response) => {
    const { requestId, log } = scopeOf(res);
    const admitted = await admitRequest(options, req, {
      scope: 'read',
      bucket: 'graphql',
      forbidden: "Exports need the scope read; the caller's scopes do not grant it",
    });
    if ('failure' in admitted) return sendAuthFailure(res, admitted.failure, 'ingest');
    const { caller } = admitted;
    const owner = exportOwner(req.path);
    if (!owner) {
      return answer(
        res,
        404,
        'NOT_FOUND',
        `No such export: ${EXPORT_PATH}/experiments/{id}/runs.csv and ${EXPORT_PATH}/runs/{id}/metrics/{name}.csv|.parquet exist`,
      );
    }
    const target = req.originalUrl;
    const aborted = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) aborted.abort();
    });
    let upstream: globalThis.Response;
    try {
      upstream = await fetch(new URL(target, options.subgraphUrls[owner]), {
        headers: {
          [CONTEXT_HEADER]: signContext(options.internalSecret, { requestId, caller, query: exportSignedDocument(target) }),
          [REQUEST_ID_HEADER]: requestId,
        },
        signal: aborted.signal,
      });
    } catch (err) {
      if (aborted.signal.aborted) return;
      log.warn({ err, owner }, 'subgraph unreachable for an export');
      res.setHeader('Retry-After', '1');
      return answer(res, 503, 'SERVICE_UNAVAILABLE', `The ${owner} service is unreachable; retry shortly`);
    }
    res.status(upstream.status);
    for (const name of PASSED_BACK) {
      const value = upstream.headers.get(name);
      if (value) res.setHeader(name, value);
    }
    if (!upstream.body) return void res.end();
    try {
      await pipeline(Readable.fromWeb(upstream.body as import('node:stream/web').ReadableStream), res);
      log.debug({ owner, status: upstream.status, callerId: caller.id }, 'export forwarded');
    } catch (err) {
      if (!aborted.signal.aborted) log.warn({ err, owner }, 'export cut short');
      res.destroy();
    }
  };
}
