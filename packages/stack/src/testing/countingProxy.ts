/**
 * A forwarder in front of a real service that records each request it passes
 * on (method, path and GraphQL operation name), so that a test can count the
 * calls one service makes to another. Bodies and answers pass unchanged.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProxiedCall {
  method: string;
  path: string;
  /** The GraphQL operation's name (the document's `query Name`), when the body is one. */
  operationName: string | undefined;
}

export interface CountingProxy {
  /** The proxy's origin: use it in place of the target's origin. */
  origin: string;
  /** The calls passed on so far, in arrival order. */
  readonly calls: ProxiedCall[];
  stop(): Promise<void>;
}

function operationNameOf(body: Buffer): string | undefined {
  try {
    const query = (JSON.parse(body.toString('utf8')) as { query?: unknown }).query;
    return typeof query === 'string' ? /^\s*(?:query|mutation)\s+(\w+)/.exec(query)?.[1] : undefined;
  } catch {
    return undefined;
  }
}

/** Forwards to `target` (an origin such as http://127.0.0.1:4001). */
export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const calls: ProxiedCall[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      calls.push({ method: req.method ?? 'GET', path: req.url ?? '/', operationName: operationNameOf(body) });
      const forward = http.request(new URL(req.url ?? '/', target), { method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      forward.on('error', () => res.writeHead(502).end());
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
