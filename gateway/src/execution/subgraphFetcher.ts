/**
 * How the gateway's data sources reach the subgraphs: undici's connection
 * pools (one per subgraph origin, keep-alive), answering with the few parts
 * of a fetch Response that a data source reads (status, headers, text,
 * json).
 *
 * RemoteGraphQLDataSource's default fetcher is make-fetch-happen (an HTTP
 * cache layer, minipass streams and a proxy-aware agent per request), which
 * showed as a fifth of the gateway's CPU time under load. node:http's agent
 * did better; undici's dispatcher, with the answer collected straight from
 * its parser, takes about half of node:http's CPU per request (measured in
 * docs/design/gateway-speed.md).
 *
 * A reused connection must never turn into a failed answer:
 * - an idle connection is closed before the subgraph would close it: a
 *   second before the `Keep-Alive: timeout=N` its last answer announced
 *   (at most a minute), or after `idleMs` (2 s, well under the 5 s of Node's
 *   servers) when it announced none; a subgraph announcing less than two
 *   seconds or `Connection: close` gets no reuse at all. An idle connection
 *   is also checked for a close by the peer before it is written to;
 * - a query whose connection is dropped before any byte of its answer (the
 *   subgraph closed it as the request went out: ECONNRESET, EPIPE, "other
 *   side closed") is sent once more, on a new connection of its own.
 *   Mutations and subscriptions are never sent twice, neither is a request
 *   whose answer had begun, and no request is sent a third time.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { RemoteGraphQLDataSource } from '@apollo/gateway';
import { getOperationAST, OperationTypeNode, parse } from 'graphql';
import { Agent, Client, type Dispatcher } from 'undici';

export type Fetcher = RemoteGraphQLDataSource['fetcher'];
type FetcherRequestInit = NonNullable<Parameters<Fetcher>[1]>;
export type FetcherResponse = Awaited<ReturnType<Fetcher>>;
type FetcherHeaders = FetcherResponse['headers'];

export interface SubgraphFetcherOptions {
  /** Most connections open to one subgraph at once; more requests wait for one. Default 256. */
  maxSockets?: number;
  /** Milliseconds a connection may stay silent during a request before it fails. Default 30,000. */
  timeoutMs?: number;
  /** Milliseconds an idle connection is kept when the subgraph announced no keep-alive timeout. Default 2,000. */
  idleMs?: number;
}

export const SUBGRAPH_FETCHER_DEFAULTS = { maxSockets: 256, timeoutMs: 30_000, idleMs: 2_000 } as const;

/** Kept back from a subgraph's announced keep-alive timeout, so our close comes first. */
const ANNOUNCED_TIMEOUT_MARGIN_MS = 1_000;
/** The longest idle time kept, whatever a subgraph announces. */
const MAX_IDLE_MS = 60_000;
/** Errors of a connection the peer closed before answering. */
const DROPPED = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET']);

export interface SubgraphFetcher extends Fetcher {
  /** Closes the connections. */
  close(): void;
  /** Requests sent again on a new connection after theirs was dropped (since start). */
  readonly retries: number;
}

export function subgraphFetcher(options: SubgraphFetcherOptions = {}): SubgraphFetcher {
  const timeoutMs = options.timeoutMs ?? SUBGRAPH_FETCHER_DEFAULTS.timeoutMs;
  const connection = {
    // undici keeps min(announced − threshold, max) and does not reuse at all when that is not positive.
    keepAliveTimeout: options.idleMs ?? SUBGRAPH_FETCHER_DEFAULTS.idleMs,
    keepAliveMaxTimeout: MAX_IDLE_MS,
    keepAliveTimeoutThreshold: ANNOUNCED_TIMEOUT_MARGIN_MS,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  };
  const pools = new Agent({ ...connection, connections: options.maxSockets ?? SUBGRAPH_FETCHER_DEFAULTS.maxSockets });
  const targets = new Map<string, { origin: string; path: string }>();
  let retries = 0;

  const fetcher = async (url: string, init: FetcherRequestInit = {}) => {
    let target = targets.get(url);
    if (!target) {
      const parsed = new URL(url);
      target = { origin: parsed.origin, path: `${parsed.pathname}${parsed.search}` };
      targets.set(url, target);
    }
    const request: Dispatcher.DispatchOptions = {
      ...target,
      method: (init.method ?? 'GET') as Dispatcher.HttpMethod,
      headers: init.headers as Record<string, string> | undefined,
      body: init.body as string | undefined,
    };
    const signal = init.signal as AbortSignal | undefined;
    try {
      return await send(pools, url, request, signal);
    } catch (err) {
      if (!(err instanceof Dropped) || signal?.aborted || !isQuery(init.body)) throw err instanceof Dropped ? err.cause : err;
    }
    retries++;
    // A connection of its own, closed after the answer: the pool may hold more connections the subgraph closed.
    const fresh = new Client(target.origin, { ...connection, pipelining: 0 });
    try {
      return await send(fresh, url, request, signal);
    } catch (err) {
      throw err instanceof Dropped ? err.cause : err;
    } finally {
      void fresh.close().catch(() => {});
    }
  };

  const close = () => void pools.destroy().catch(() => {});
  return Object.defineProperties(Object.assign(fetcher, { close }), { retries: { get: () => retries } }) as SubgraphFetcher;
}

/** A request's connection dropped before any byte of its answer: `cause` is the error. */
class Dropped extends Error {}

/** One request, its answer collected as it arrives (no stream objects). */
function send(dispatcher: Dispatcher, url: string, request: Dispatcher.DispatchOptions, signal: AbortSignal | undefined) {
  return new Promise<FetcherResponse>((resolve, reject) => {
    const collector = new AnswerCollector(url, signal, resolve, reject);
    dispatcher.dispatch(request, collector);
    signal?.addEventListener('abort', collector, { once: true });
  });
}

/** Receives one answer from undici's parser; a class, so a request makes no closures. */
class AnswerCollector implements Dispatcher.DispatchHandler {
  private answered = false;
  private status = 0;
  private statusText = '';
  private headers: IncomingHttpHeaders = {};
  private readonly chunks: Buffer[] = [];
  private controller: Dispatcher.DispatchController | undefined;

  constructor(
    private readonly url: string,
    private readonly signal: AbortSignal | undefined,
    private readonly resolve: (response: FetcherResponse) => void,
    private readonly reject: (err: unknown) => void,
  ) {}

  /** The abort signal's listener. */
  handleEvent(): void {
    this.controller?.abort(new Error(`request to ${this.url} aborted`));
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.signal?.aborted) this.handleEvent();
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: IncomingHttpHeaders,
    statusMessage?: string,
  ): void {
    this.answered = true;
    this.status = statusCode;
    this.statusText = statusMessage ?? '';
    this.headers = headers;
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.chunks.push(chunk);
  }

  onResponseEnd(): void {
    this.signal?.removeEventListener('abort', this);
    const { chunks } = this;
    const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
    this.resolve(new SubgraphResponse(this.url, this.status, this.statusText, this.headers, body));
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: NodeJS.ErrnoException): void {
    this.signal?.removeEventListener('abort', this);
    this.reject(!this.answered && DROPPED.has(err.code ?? '') ? new Dropped(err.message, { cause: err }) : err);
  }
}

/** Whether a request body is a GraphQL query (not a mutation or subscription), read only when a retry is in question. */
function isQuery(body: unknown): boolean {
  if (typeof body !== 'string') return false;
  try {
    const { query, operationName } = JSON.parse(body) as { query?: unknown; operationName?: unknown };
    if (typeof query !== 'string') return false;
    const operation = getOperationAST(parse(query), typeof operationName === 'string' ? operationName : undefined);
    return operation?.operation === OperationTypeNode.QUERY;
  } catch {
    return false;
  }
}

/** The text of an answer this fetcher received, or undefined for any other response. */
export function answerText(response: unknown): string | undefined {
  return response instanceof SubgraphResponse ? response.bodyText() : undefined;
}

class SubgraphResponse implements FetcherResponse {
  readonly redirected = false;
  bodyUsed = false;
  private readHeaders: FetcherHeaders | undefined;
  private decoded: string | undefined;

  constructor(
    readonly url: string,
    readonly status: number,
    readonly statusText: string,
    private readonly rawHeaders: IncomingHttpHeaders,
    private readonly body: Buffer,
  ) {}

  /** Built when first read (the gateway reads the content type of every answer, rarely more). */
  get headers(): FetcherHeaders {
    this.readHeaders ??= new ResponseHeaders(this.rawHeaders);
    return this.readHeaders;
  }

  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }

  async text(): Promise<string> {
    this.bodyUsed = true;
    return this.bodyText();
  }

  /** The body as text, decoded once. */
  bodyText(): string {
    this.decoded ??= this.body.toString('utf8');
    return this.decoded;
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    this.bodyUsed = true;
    return this.body.buffer.slice(this.body.byteOffset, this.body.byteOffset + this.body.byteLength) as ArrayBuffer;
  }

  clone(): FetcherResponse {
    return Object.create(this) as FetcherResponse;
  }
}

/**
 * A response's headers as node gives them (names in lower case), read in place: the gateway reads the
 * content type of every answer and rarely anything else. Changed, they are copied first.
 */
class ResponseHeaders implements FetcherHeaders {
  private map: Map<string, string> | undefined;

  constructor(private readonly raw: IncomingHttpHeaders) {}

  private entriesMap(): Map<string, string> {
    if (!this.map) {
      this.map = new Map();
      for (const [name, value] of Object.entries(this.raw)) {
        if (value !== undefined) this.map.set(name, Array.isArray(value) ? value.join(', ') : value);
      }
    }
    return this.map;
  }

  get(name: string): string | null {
    const key = name.toLowerCase();
    if (this.map) return this.map.get(key) ?? null;
    const value = Object.hasOwn(this.raw, key) ? this.raw[key] : undefined;
    return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
  }
  has(name: string): boolean {
    return this.get(name) !== null;
  }
  set(name: string, value: string): void {
    this.entriesMap().set(name.toLowerCase(), value);
  }
  append(name: string, value: string): void {
    const key = name.toLowerCase();
    const had = this.get(key);
    this.entriesMap().set(key, had === null ? value : `${had}, ${value}`);
  }
  delete(name: string): void {
    this.entriesMap().delete(name.toLowerCase());
  }
  entries(): Iterator<[string, string]> {
    return this.entriesMap().entries();
  }
  keys(): Iterator<string> {
    return this.entriesMap().keys();
  }
  values(): Iterator<string> {
    return this.entriesMap().values();
  }
  [Symbol.iterator](): Iterator<[string, string]> {
    return this.entriesMap().entries();
  }
}
