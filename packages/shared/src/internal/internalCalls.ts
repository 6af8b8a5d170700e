/**
 * Internal calls between services: JSON over HTTP, `POST /internal/...`,
 * signed with the internal secret as a service caller. The signature is bound
 * to the route and to the sha256 of the exact body, so a captured header
 * cannot carry another body, and it expires like every signed context (60 s).
 *
 * A route answers 200 with its JSON result, or an error status with
 * `{ code, message }` (code from errors.ts). `callInternal` (sent by serviceClient.ts) turns the answer
 * into the result or an InternalCallError that says whether retrying can help:
 * network errors, timeouts, 5xx and 429 are transient; any other 4xx is
 * permanent (the request itself is wrong, or the thing is gone). Its message
 * names the route, the address and the answer, for the log; its
 * publicMessage says what failed in the platform's words ("the artifacts
 * service is unavailable"), for anything a client reads (publicErrors.ts).
 */
import { createHash } from 'node:crypto';
import type { Express, Request, Response } from 'express';
import { type Caller, CONTEXT_HEADER, type SignedContext, verifyContext } from '../callerContext';
import { ERROR_CODES, type ErrorCode, isErrorCode } from '../errors';
import type { Logger } from '../logger';
import { mentionsInternals, type WithPublicMessage } from '../publicErrors';
import { exportSignedDocument } from '../topology';
import { ARTIFACTS_INTERNAL, METRICS_INTERNAL } from './internalApi';
import { createServiceClient, ServiceUnreachableError } from './serviceClient';

/** What an internal call is signed for: the route and the digest of its body. */
export function internalCallDocument(path: string, body: string): string {
  return `POST ${path}\n${createHash('sha256').update(body).digest('hex')}`;
}

/** The service a route belongs to, as clients know it ("artifacts", "metrics"). */
export function serviceOfRoute(path: string): string {
  if ((Object.values(ARTIFACTS_INTERNAL) as string[]).includes(path)) return 'artifacts';
  if ((Object.values(METRICS_INTERNAL) as string[]).includes(path)) return 'metrics';
  return 'internal';
}

export interface InternalCallErrorDetails {
  /** The HTTP status the route answered (none when it did not answer). */
  status?: number;
  /** The service called, for the public message. */
  service?: string;
  /** What a client may read; by default that the service is unavailable, or refused the request. */
  publicMessage?: string;
}

export class InternalCallError extends Error implements WithPublicMessage {
  readonly status: number | undefined;
  readonly service: string;
  readonly publicMessage: string;

  constructor(
    /** For the log: the route, the address, the answer. */
    message: string,
    readonly code: ErrorCode,
    /** Whether the same call may succeed later (the service or its store is down, a timeout). */
    readonly transient: boolean,
    details: InternalCallErrorDetails = {},
  ) {
    super(message);
    this.name = 'InternalCallError';
    this.status = details.status;
    this.service = details.service ?? 'internal';
    this.publicMessage =
      details.publicMessage ??
      (transient ? `the ${this.service} service is unavailable` : `the ${this.service} service refused the request`);
  }
}

/** The route's own refusal, for a client, when it shows nothing internal; else only that the service refused. */
function refusalText(service: string, message: unknown): string {
  const base = `the ${service} service refused the request`;
  return typeof message === 'string' && message.length > 0 && !mentionsInternals(message) ? `${base}: ${message}` : base;
}

export interface InternalCallOptions {
  internalSecret: string;
  caller: Caller;
  requestId: string;
  /** Default 30 s; copies of large files want more. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** POSTs `body` to `${baseUrl}${path}` signed as `options.caller`; the route's JSON answer, or an InternalCallError. */
export async function callInternal<T>(baseUrl: string, path: string, body: unknown, options: InternalCallOptions): Promise<T> {
  const text = JSON.stringify(body);
  const url = new URL(path, baseUrl).toString();
  const address = new URL(baseUrl).host;
  const service = serviceOfRoute(path);
  let answered: { status: number; text: string };
  try {
    answered = await createServiceClient(options).post(url, text, {
      caller: options.caller,
      requestId: options.requestId,
      document: internalCallDocument(path, text),
      timeoutMs: options.timeoutMs ?? 30_000,
    });
  } catch (err) {
    if (!(err instanceof ServiceUnreachableError)) throw err;
    const { timedOut, networkCode } = err;
    throw new InternalCallError(
      `${path} at ${address} ${timedOut ? 'timed out' : `unreachable${networkCode ? ` (${networkCode})` : ''}`}`,
      'SERVICE_UNAVAILABLE',
      true,
      {
        service,
        publicMessage: timedOut ? `the ${service} service did not answer in time` : `the ${service} service is unavailable`,
      },
    );
  }
  let answer: unknown;
  try {
    answer = JSON.parse(answered.text);
  } catch {
    answer = undefined;
  }
  const status = answered.status;
  if (status >= 200 && status < 300 && answer !== undefined) return answer as T;
  const { code, message } = (answer ?? {}) as { code?: unknown; message?: unknown };
  const transient = status >= 500 || status === 429 || answer === undefined;
  const errorCode: ErrorCode = isErrorCode(code) ? code : transient ? 'SERVICE_UNAVAILABLE' : 'INTERNAL';
  throw new InternalCallError(
    `${path} at ${address} answered ${status}: ${typeof message === 'string' ? message : 'no message'}`,
    errorCode,
    transient,
    {
      status,
      service,
      // It answered, so it runs: what failed is behind it (its store, or a service it calls), or it is overloaded.
      publicMessage: transient
        ? `the ${service} service cannot do it now (its store or a service it depends on is unavailable)`
        : refusalText(service, message),
    },
  );
}

/**
 * The body as JSON, or undefined when it is larger than the limit or not JSON.
 * Past the limit the rest is read and discarded: leaving the loop early would
 * destroy the request with its socket, and the answer could not be sent.
 */
export async function readBody(req: Request, limit: number): Promise<Buffer | undefined> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const part of req as AsyncIterable<Buffer>) {
    size += part.length;
    if (size <= limit) parts.push(part);
  }
  return size > limit ? undefined : Buffer.concat(parts);
}

export async function readJson(req: Request, limit: number): Promise<unknown> {
  const body = await readBody(req, limit);
  if (body === undefined) return undefined;
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

/**
 * The signed context when the request comes from a service `allows` accepts
 * (signed for `document`); otherwise answers 401 and returns undefined.
 */
export function serviceCaller(
  req: Request,
  res: Response,
  options: { internalSecret: string; document: string; sender: string; allows: (caller: Caller) => boolean },
): SignedContext | undefined {
  const header = req.headers[CONTEXT_HEADER];
  const verdict = verifyContext(options.internalSecret, typeof header === 'string' ? header : undefined, options.document);
  if (verdict.ok && verdict.context.caller.kind === 'service' && options.allows(verdict.context.caller)) return verdict.context;
  const reason = verdict.ok ? `only the ${options.sender} may call it` : verdict.reason;
  if (!req.readableEnded) req.resume();
  res.status(401).json({ code: 'UNAUTHENTICATED', message: `accepts only requests signed by the ${options.sender}: ${reason}` });
  return undefined;
}

/**
 * The signed context of an export request (GET /v1/export/...) the gateway passed on, signed for its exact
 * request line; otherwise answers 401 and returns undefined.
 */
export function exportCaller(req: Request, res: Response, internalSecret: string): SignedContext | undefined {
  const header = req.headers[CONTEXT_HEADER];
  const document = exportSignedDocument(req.originalUrl);
  const verdict = verifyContext(internalSecret, typeof header === 'string' ? header : undefined, document);
  if (verdict.ok) return verdict.context;
  res.status(401).json({ code: 'UNAUTHENTICATED', message: `accepts only requests signed by the gateway: ${verdict.reason}` });
  return undefined;
}

/** An error a route handler throws to answer with that code (and its HTTP status). */
export class InternalRouteError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface InternalRouteOptions<TBody, TResult> {
  internalSecret: string;
  /** The service allowed to call (its caller id), e.g. 'registry'. */
  sender: string;
  log: Logger;
  /** Largest body in bytes (default 1 MiB). */
  limitBytes?: number;
  /** Checks the parsed body: the typed body, or a reason it is invalid (answered 400). */
  parse: (body: unknown) => TBody | string;
  handle: (body: TBody, context: SignedContext) => Promise<TResult>;
}

/**
 * Mounts `POST path`: only `sender`, signed for this path and this body; a
 * body `parse` refuses is a 400; an InternalRouteError answers its code; any
 * other failure is logged and answered 503 (the caller retries later).
 */
export function internalRoute<TBody, TResult>(app: Express, path: string, options: InternalRouteOptions<TBody, TResult>): void {
  const limit = options.limitBytes ?? 1024 * 1024;
  app.post(path, async (req: Request, res: Response) => {
    const raw = await readBody(req, limit);
    if (raw === undefined) {
      res.status(413).json({ code: 'PAYLOAD_TOO_LARGE', message: `the body is larger than ${limit} bytes` });
      return;
    }
    const context = serviceCaller(req, res, {
      internalSecret: options.internalSecret,
      document: internalCallDocument(path, raw.toString('utf8')),
      sender: options.sender,
      allows: (caller) => caller.id === options.sender,
    });
    if (!context) return;
    let json: unknown;
    try {
      json = JSON.parse(raw.toString('utf8'));
    } catch {
      res.status(400).json({ code: 'BAD_USER_INPUT', message: 'the body is not JSON' });
      return;
    }
    const parsed = options.parse(json);
    if (typeof parsed === 'string') {
      res.status(400).json({ code: 'BAD_USER_INPUT', message: parsed });
      return;
    }
    try {
      res.status(200).json(await options.handle(parsed, context));
    } catch (err) {
      if (err instanceof InternalRouteError) {
        res.status(ERROR_CODES[err.code].httpStatus).json({ code: err.code, message: err.message });
        return;
      }
      options.log.warn({ err, path, requestId: context.requestId }, 'internal call failed');
      res.status(503).json({ code: 'SERVICE_UNAVAILABLE', message: err instanceof Error ? err.message : String(err) });
    }
  });
}
