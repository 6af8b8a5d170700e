import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export interface RecordedRequest {
  at: number;
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  /** The decompressed NDJSON lines. */
  lines: string[];
  points: Array<Record<string, unknown>>;
}

export interface ScriptedResponse {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** Hold the answer until this promise settles. */
  hold?: Promise<unknown>;
}

/** A tiny stand-in for POST /v1/metrics: records every request, answers from a script, else 200 { accepted }. */
export async function startTestServer() {
  const requests: RecordedRequest[] = [];
  const script: ScriptedResponse[] = [];
  const listeners: Array<() => void> = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', async () => {
      const raw = Buffer.concat(chunks);
      const text = (req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8');
      const lines = text.split('\n').filter((line) => line !== '');
      requests.push({
        at: Date.now(),
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        lines,
        points: lines.map((line) => JSON.parse(line) as Record<string, unknown>),
      });
      for (const listener of listeners.splice(0)) listener();
      const answer = script.shift() ?? { status: 200, body: { accepted: lines.length } };
      if (answer.hold) await answer.hold.catch(() => {});
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      res.end(JSON.stringify(answer.body ?? {}));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    /** Queue answers for the next requests (one each, in order). */
    respond(...answers: ScriptedResponse[]) {
      script.push(...answers);
    },
    points() {
      return requests.filter((r) => r.lines.length > 0).flatMap((r) => r.points);
    },
    /** Resolves once at least n requests were received. */
    async waitForRequests(n: number, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (requests.length < n) {
        if (Date.now() > deadline) throw new Error(`expected ${n} requests, got ${requests.length}`);
        await new Promise<void>((resolve) => {
          listeners.push(resolve);
          setTimeout(resolve, 50);
        });
      }
    },
    close() {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type TestServer = Awaited<ReturnType<typeof startTestServer>>;
