/** An HTTP server stopping with clients at work: every request gets its answer or a refused connection, never a reset. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type HttpDrain, IDLE_QUIET_MS, trackRequests } from './httpDrain';

interface Served {
  url: string;
  drain: HttpDrain;
  server: http.Server;
}

const servers: http.Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.closeAllConnections();
});

/** A server that answers after `delayMs` (the query's ?ms= when given). */
async function serve(delayMs: number): Promise<Served> {
  const server = http.createServer((req, res) => {
    const ms = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('ms') ?? delayMs);
    setTimeout(() => res.end('ok'), ms);
  });
  server.keepAliveTimeout = 65_000;
  const drain = trackRequests(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, drain, server };
}

/** ECONNREFUSED, or a connection reset while connecting: the server closed before accepting it (its listen queue). */
const causeOf = (err: unknown) => {
  const cause = (err as { cause?: { code?: string; syscall?: string; message?: string } }).cause;
  if (cause?.syscall === 'connect' && (cause.code === 'ECONNREFUSED' || cause.code === 'ECONNRESET')) return 'refused';
  return cause?.code ?? cause?.message ?? String(err);
};

describe('trackRequests(server).drain', () => {
  it('lets a request in flight finish, with Connection: close, and refuses new connections', async () => {
    const { url, drain } = await serve(300);
    const inFlight = fetch(url, { method: 'POST', body: 'x' });
    await new Promise((r) => setTimeout(r, 50));
    const drained = drain.drain(5000);
    const answer = await inFlight;
    expect(answer.status).toBe(200);
    expect(answer.headers.get('connection')).toBe('close');
    expect(await answer.text()).toBe('ok');
    await expect(fetch(url)).rejects.toSatisfy((err) => causeOf(err) === 'refused');
    await drained;
  });

  it('answers every request of clients in a loop, or refuses their new connection: never a reset', async () => {
    const { server, drain } = await serve(10);
    const port = (server.address() as AddressInfo).port;
    // The server's accepted connections, by client port: a reset of one it never accepted (the kernel's
    // listen queue, emptied by the close) is a refusal; a reset of an accepted one would be a failure.
    const accepted = new Set<number>();
    server.on('connection', (socket) => accepted.add(socket.remotePort as number));
    const agent = new http.Agent({ keepAlive: true });
    const request = () =>
      new Promise<string>((resolve) => {
        let clientPort: number | undefined;
        const req = http.request({ host: '127.0.0.1', port, method: 'POST', agent }, (res) => {
          let body = '';
          res.on('data', (chunk: Buffer) => {
            body += chunk.toString();
          });
          res.on('end', () => resolve(`${res.statusCode} ${body}`));
          res.on('error', (err) => resolve(`response ${err.message}`));
        });
        req.on('socket', (socket) => {
          if (socket.localPort) clientPort = socket.localPort;
          else socket.once('connect', () => (clientPort = socket.localPort));
        });
        req.on('error', (err: NodeJS.ErrnoException) => {
          const refused = err.syscall === 'connect' || (clientPort !== undefined && !accepted.has(clientPort));
          resolve(refused ? 'refused' : `${err.code} on an accepted connection`);
        });
        req.end('x');
      });
    const outcomes = new Map<string, number>();
    let running = true;
    const worker = async () => {
      while (running) {
        const outcome = await request();
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
        if (outcome === 'refused') await new Promise((r) => setTimeout(r, 20));
      }
    };
    const workers = Array.from({ length: 8 }, worker);
    await new Promise((r) => setTimeout(r, 300));
    await drain.drain(5000);
    await new Promise((r) => setTimeout(r, 100));
    running = false;
    await Promise.all(workers);
    agent.destroy();
    expect(outcomes.get('200 ok')).toBeGreaterThan(0);
    expect(outcomes.get('refused')).toBeGreaterThan(0);
    expect([...outcomes.keys()].sort()).toEqual(['200 ok', 'refused']);
  });

  it('closes idle keep-alive connections once nothing has been in flight for a moment', async () => {
    const { url, drain } = await serve(0);
    await (await fetch(url)).text(); // leaves an idle keep-alive connection
    const started = Date.now();
    await drain.drain(10_000);
    expect(Date.now() - started).toBeLessThan(IDLE_QUIET_MS + 1000);
  });

  it('cuts what still runs at closeAfterMs', async () => {
    const { url, drain } = await serve(0);
    const slow = fetch(`${url}?ms=60000`).then(
      () => 'answered',
      () => 'cut',
    );
    await new Promise((r) => setTimeout(r, 50));
    expect(drain.inFlight).toBe(1);
    const started = Date.now();
    await drain.drain(300);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await slow).toBe('cut');
  });
});
