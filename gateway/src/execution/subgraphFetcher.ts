/**
 * How the gateway's data sources reach the subgraphs: node:http on a
 * keep-alive agent per subgraph, answering with the few parts of a fetch
 * Response that a data source reads (status, headers, text, json).
 *
 * RemoteGraphQLDataSource's default fetcher is make-fetch-happen (an HTTP
 * cache layer, minipass streams and a proxy-aware agent per request), which
 * showed as a fifth of the gateway's CPU time under load; this does the same
 * POST with a reused connection and one Buffer.concat.
 *
 * A reused connection must never turn into a failed answer:
 * - an idle connection is closed before the subgraph would close it: a
 *   second before the `Keep-Alive: timeout=N` its last answer announced
 *   (at most a minute), or after `idleMs` (2 s, well under the 5 s of Node's
 *   servers) when it announced none; a subgraph announcing less than two
 *   seconds or `Connection: close` gets no reuse at all;
 * - a query that fails on a reused connection before any byte of its answer
 *   (the subgraph closed the connection as the request went out: ECONNRESET,
 *   EPIPE) is sent once more on a new connection. Mutations and
 *   subscriptions are never sent twice; neither is a request whose answer
 *   had begun, nor one that failed on a new connection.
 */
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import type { RemoteGraphQLDataSource } from '@apollo/gateway';
import { getOperationAST, OperationTypeNode, parse } from 'graphql';

export type Fetcher = RemoteGraphQLDataSource['fetcher'];
type FetcherRequestInit = NonNullable<Parameters<Fetcher>[1]>;
export type FetcherResponse = Awaited<ReturnType<Fetcher>>;
type FetcherHeaders = FetcherResponse['headers'];

export interface SubgraphFetcherOptions {
  /** Most connections open to one subgraph at once; more requests wait for one. Default 256. */
  maxSockets?: number;
  /** Idle connections kept open per subgraph. Default 64. */
  maxFreeSockets?: number;
  /** Milliseconds a connection may stay silent during a request before it fails. Default 30,000. */
  timeoutMs?: number;
  /** Milliseconds an idle connection is kept when the subgraph announced no keep-alive timeout. Default 2,000. */
  idleMs?: number;
}

export const SUBGRAPH_FETCHER_DEFAULTS = { maxSockets: 256, maxFreeSockets: 64, timeoutMs: 30_000, idleMs: 2_000 } as const;

/** Kept back from a subgraph's announced keep-alive timeout, so our close comes first. */
const ANNOUNCED_TIMEOUT_MARGIN_MS = 1_000;
/** The longest idle time kept, whatever a subgraph announces. */
const MAX_IDLE_MS = 60_000;
/** Shorter idle times than this are not worth a reuse (and leave too little margin). */
const MIN_IDLE_MS = 1_000;
/** Errors of a connection the peer closed before answering. */
const DROPPED = new Set(['ECONNRESET', 'EPIPE']);

export interface SubgraphFetcher extends Fetcher {
  /** Closes the idle connections. */
  close(): void;
  /** Requests sent again on a new connection after a reused one was found closed (since start). */
  readonly retries: number;
}

export function subgraphFetcher(options: SubgraphFetcherOptions = {}): SubgraphFetcher {
  const agentOptions = {
    keepAlive: true,
    maxSockets: options.maxSockets ?? SUBGRAPH_FETCHER_DEFAULTS.maxSockets,
    maxFreeSockets: options.maxFreeSockets ?? SUBGRAPH_FETCHER_DEFAULTS.maxFreeSockets,
    scheduling: 'lifo' as const,
  };
  const idleMs = options.idleMs ?? SUBGRAPH_FETCHER_DEFAULTS.idleMs;
  const agents = {
    'http:': retireBeforePeer(new http.Agent(agentOptions), idleMs),
    'https:': retireBeforePeer(new https.Agent(agentOptions), idleMs),
  };
  const timeoutMs = options.timeoutMs ?? SUBGRAPH_FETCHER_DEFAULTS.timeoutMs;
  const targets = new Map<string, URL>();
  let retries = 0;

  const send = (url: string, target: URL, init: FetcherRequestInit, fresh: boolean) =>
    new Promise<FetcherResponse>((resolve, reject) => {
      const secure = target.protocol === 'https:';
      let answered = false;
      const req = (secure ? https : http).request(
        target,
        {
          method: init.method ?? 'GET',
          headers: init.headers,
          // A new connection of its own, closed after the answer: the pool may hold more closed ones.
          agent: fresh ? false : agents[secure ? 'https:' : 'http:'],
          timeout: timeoutMs,
        },
        (res) => {
          answered = true;
          announcedIdle.set(res.socket, announcedIdleMs(res.headers));
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () => resolve(new SubgraphResponse(url, res, Buffer.concat(chunks))));
        },
      );
      req.on('timeout', () => req.destroy(new Error(`request to ${url} timed out after ${timeoutMs} ms`)));
      req.on('error', (err: NodeJS.ErrnoException) => {
        const dropped = !answered && req.reusedSocket && DROPPED.has(err.code ?? '') && !signal?.aborted;
        if (!fresh && dropped && isQuery(init.body)) {
          retries++;
          resolve(send(url, target, init, true));
        } else reject(err);
      });
      const signal = init.signal as AbortSignal | undefined;
      signal?.addEventListener('abort', () => req.destroy(new Error(`request to ${url} aborted`)), { once: true });
      req.end(init.body);
    });

  const fetcher = (url: string, init: FetcherRequestInit = {}) => {
    let target = targets.get(url);
    if (!target) {
      target = new URL(url);
      targets.set(url, target);
    }
    return send(url, target, init, false);
  };

  const close = () => {
    agents['http:'].destroy();
    agents['https:'].destroy();
  };
  return Object.defineProperties(Object.assign(fetcher, { close }), { retries: { get: () => retries } }) as SubgraphFetcher;
}

/** Each connection's idle time as its last answer announced it (undefined: none announced). */
const announcedIdle = new WeakMap<Socket, number | undefined>();

/** `Keep-Alive: timeout=N` less the margin, at most a minute (0: do not reuse), or undefined without one. */
function announcedIdleMs(headers: http.IncomingHttpHeaders): number | undefined {
  if (headers.connection?.toLowerCase() === 'close') return 0;
  const announced = headers['keep-alive'];
  const seconds = /(?:^|[\s,])timeout=(\d+)/i.exec(typeof announced === 'string' ? announced : '')?.[1];
  if (seconds === undefined) return undefined;
  const idle = Math.min(MAX_IDLE_MS, Number(seconds) * 1000 - ANNOUNCED_TIMEOUT_MARGIN_MS);
  return idle < MIN_IDLE_MS ? 0 : idle;
}

/**
 * An agent whose idle connections close before the subgraph's announced timeout, or after `idleMs`
 * without one. (Node's own agent reads the announcement only when the agent has a timeout, and then
 * applies that timeout to requests too.) The agent closes an idle connection whose timer fires.
 */
function retireBeforePeer<A extends http.Agent>(agent: A, idleMs: number): A {
  agent.keepSocketAlive = (socket: Socket) => {
    const announced = announcedIdle.get(socket);
    const idle = announced ?? idleMs;
    if (idle <= 0) return false;
    socket.setKeepAlive(true, 1_000);
    socket.unref();
    socket.setTimeout(idle);
    return true;
  };
  return agent;
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
  readonly status: number;
  readonly statusText: string;
  bodyUsed = false;
  private readHeaders: FetcherHeaders | undefined;
  private decoded: string | undefined;

  constructor(
    readonly url: string,
    private readonly res: http.IncomingMessage,
    private readonly body: Buffer,
  ) {
    this.status = res.statusCode ?? 0;
    this.statusText = res.statusMessage ?? '';
  }

  /** Built when first read (the gateway reads the content type of every answer, rarely more). */
  get headers(): FetcherHeaders {
    this.readHeaders ??= new ResponseHeaders(this.res.headers);
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

/** A response's headers, read-only in practice (names in lower case, as node gives them). */
class ResponseHeaders implements FetcherHeaders {
  private readonly map = new Map<string, string>();

  constructor(headers: http.IncomingHttpHeaders) {
    for (const [name, value] of Object.entries(headers)) {
      if (value !== undefined) this.map.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
  }

  get(name: string): string | null {
    return this.map.get(name.toLowerCase()) ?? null;
  }
  has(name: string): boolean {
    return this.map.has(name.toLowerCase());
  }
  set(name: string, value: string): void {
    this.map.set(name.toLowerCase(), value);
  }
  append(name: string, value: string): void {
    const key = name.toLowerCase();
    const had = this.map.get(key);
    this.map.set(key, had === undefined ? value : `${had}, ${value}`);
  }
  delete(name: string): void {
    this.map.delete(name.toLowerCase());
  }
  entries(): Iterator<[string, string]> {
    return this.map.entries();
  }
  keys(): Iterator<string> {
    return this.map.keys();
  }
  values(): Iterator<string> {
    return this.map.values();
  }
  [Symbol.iterator](): Iterator<[string, string]> {
    return this.map.entries();
  }
}
