/**
 * The request id: taken from a sane incoming `x-request-id` or made up, sent
 * back as a response header, put on every log line, forwarded to subgraphs
 * and shown in masked errors. Apollo's formatError gets no context, so the
 * id also lives in an AsyncLocalStorage scope entered right before Apollo.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { type Logger, REQUEST_ID_HEADER, requestIdOf } from '@lab/shared';
import type { RequestHandler, Response } from 'express';

export interface RequestScope {
  requestId: string;
  log: Logger;
}

const storage = new AsyncLocalStorage<RequestScope>();

/** The scope of the request being handled, if any (e.g. inside formatError). */
export function currentScope(): RequestScope | undefined {
  return storage.getStore();
}

/** The scope assignRequestId stored on the response. */
export function scopeOf(res: Response): RequestScope {
  const scope = res.locals.scope as RequestScope | undefined;
  if (!scope) throw new Error('assignRequestId must run before this handler');
  return scope;
}

/** First middleware: picks the id, sets the response header, creates the request's child logger. */
export function assignRequestId(log: Logger): RequestHandler {
  return (req, res, next) => {
    const requestId = requestIdOf(req);
    res.setHeader(REQUEST_ID_HEADER, requestId);
    res.locals.scope = { requestId, log: log.child({ requestId }) } satisfies RequestScope;
    next();
  };
}

/**
 * Enters the request's scope for everything downstream. Placed right before
 * Apollo, after body parsing: stream callbacks would otherwise run outside it.
 */
export const enterRequestScope: RequestHandler = (_req, res, next) => {
  storage.run(scopeOf(res), next);
};

/** One log line per request, at the end: method, path, status and time taken. */
export const logRequest: RequestHandler = (req, res, next) => {
  const started = performance.now();
  res.on('finish', () => {
    const path = req.originalUrl.split('?')[0] ?? '';
    const entry = { method: req.method, path, status: res.statusCode, ms: Math.round(performance.now() - started) };
    const { log } = scopeOf(res);
    if (path === '/health' || path === '/metrics' || path.startsWith('/graphiql/')) log.debug(entry, 'request');
    else log.info(entry, 'request');
  });
  next();
};
