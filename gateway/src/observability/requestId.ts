/**
 * The request id: taken from a sane incoming `x-request-id` or made up, sent
 * back as a response header, put on every log line, forwarded to subgraphs
 * and shown in masked errors.
 *
 * Apollo's hooks know an operation by its context, and its formatError knows
 * only the error: `tieToRequest` ties a context to its HTTP request's scope
 * (what the request observer notes the operation under), and the scope of an
 * error is noted when an Apollo plugin or the context function meets it
 * (`noteErrorScope`, read back by `scopeOfError`). No AsyncLocalStorage: on
 * Node 20 it turns on async hooks for every promise of the process.
 */
import { type Logger, REQUEST_ID_HEADER, requestIdOf } from '@lab/shared';
import type { RequestHandler, Response } from 'express';

export interface RequestScope {
  requestId: string;
  log: Logger;
}

/** On a context, its request's scope: a property, as Apollo hands each operation a copy of the context. */
const SCOPE = Symbol('request scope');
const errorScopes = new WeakMap<object, RequestScope>();

/** Ties an operation's context (Apollo's contextValue, and the copies Apollo makes of it) to the scope of the HTTP request it answers. */
export function tieToRequest(context: object, res: Response): void {
  (context as { [SCOPE]?: RequestScope })[SCOPE] = scopeOf(res);
}

/** The scope of the HTTP request an operation's context answers, if it answers one. */
export function requestScopeOf(context: object): RequestScope | undefined {
  return (context as { [SCOPE]?: RequestScope })[SCOPE];
}

/** Notes which request an error belongs to, for formatError (a GatewayContext is such a scope). */
export function noteErrorScope(error: unknown, scope: RequestScope): void {
  if (typeof error === 'object' && error !== null) errorScopes.set(error, scope);
}

/**
 * The scope of the request an error belongs to, as noted, or as Apollo wrapped
 * it (a context function's error that is not a GraphQLError is wrapped, the
 * error thrown kept as `originalError`).
 */
export function scopeOfError(error: unknown): RequestScope | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const original = (error as { originalError?: unknown }).originalError;
  return errorScopes.get(error) ?? (typeof original === 'object' && original !== null ? errorScopes.get(original) : undefined);
}

/** The scope assignRequestId stored on the response. */
export function scopeOf(res: Response): RequestScope {
  const scope = res.locals.scope as RequestScope | undefined;
  if (!scope) throw new Error('assignRequestId must run before this handler');
  return scope;
}

/** A request's scope whose child logger is made the first time it is asked for (most requests log nothing). */
class LazyScope implements RequestScope {
  private child: Logger | undefined;

  constructor(
    readonly requestId: string,
    private readonly parent: Logger,
  ) {}

  get log(): Logger {
    this.child ??= this.parent.child({ requestId: this.requestId });
    return this.child;
  }

  /** Whether a line at this level would be written, asked without making the child logger. */
  writes(level: 'debug' | 'info'): boolean {
    return (this.child ?? this.parent).isLevelEnabled(level);
  }
}

/** First middleware: picks the id, sets the response header, stores the request's scope (its child logger made when used). */
export function assignRequestId(log: Logger): RequestHandler {
  return (req, res, next) => {
    const requestId = requestIdOf(req);
    res.setHeader(REQUEST_ID_HEADER, requestId);
    res.locals.scope = new LazyScope(requestId, log);
    next();
  };
}

/** One log line per request, at the end: method, path, status and time taken. */
export const logRequest: RequestHandler = (req, res, next) => {
  const started = performance.now();
  res.on('finish', () => {
    const path = req.originalUrl.split('?')[0] ?? '';
    const level = path === '/health' || path === '/metrics' || path.startsWith('/graphiql/') ? 'debug' : 'info';
    const scope = scopeOf(res);
    if (scope instanceof LazyScope && !scope.writes(level)) return;
    const entry = { method: req.method, path, status: res.statusCode, ms: Math.round(performance.now() - started) };
    scope.log[level](entry, 'request');
  });
  next();
};
