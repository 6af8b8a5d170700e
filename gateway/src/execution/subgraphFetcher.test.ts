/** Reused subgraph connections: retired before the subgraph closes them, and a query dropped on one sent again. */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type SubgraphFetcher, subgraphFetcher } from './subgraphFetcher';

const QUERY = JSON.stringify({ query: '{ items { id } }' });
const MUTATION = JSON.stringify({ query: 'mutation { addItem { id } }' });
const ANSWER = '{"data":{"items":[{"id":"1"}]}}';

interface Subgraph {
  url: string;
  /** Requests answered, and connections opened and closed so far. */
  answered: number;
  opened: number;
  closed: number;
  server: http.Server;
}

/**
 * A node:http subgraph. `dropReused`: a request arriving on a connection that already served one is
 * met by closing the connection, as a server whose idle timer fired just as the request went out.
 */
async function subgraph(keepAliveTimeout: number, options: { dropReused?: boolean } = {}): Promise<Subgraph> {
  const served = new WeakSet<Socket>();
  const state = { answered: 0, opened: 0, closed: 0 } as Subgraph;
  const server = http.createServer((req, res) => {
    if (options.dropReused && served.has(req.socket)) {
      req.socket.destroy();
      return;
    }
    served.add(req.socket);
    req.resume();
    req.on('end', () => {
      state.answered++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(ANSWER);
    });
  });
  server.keepAliveTimeout = keepAliveTimeout;
  server.on('connection', (socket: Socket) => {
    state.opened++;
    socket.on('close', () => state.closed++);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  state.server = server;
  servers.push(server);
  return state;
}

const servers: http.Server[] = [];
const fetchers: SubgraphFetcher[] = [];
afterEach(() => {
  for (const f of fetchers.splice(0)) f.close();
  for (const s of servers.splice(0)) s.close();
});

function fetcherOf(options: Parameters<typeof subgraphFetcher>[0] = {}) {
  const fetcher = subgraphFetcher(options);
  fetchers.push(fetcher);
  return fetcher;
}

const post = (fetcher: SubgraphFetcher, url: string, body = QUERY) =>
  fetcher(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body }).then((r) => r.text());
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('subgraphFetcher', () => {
  it('reuses a connection while it is idle for less than its idle time', async () => {
    const sg = await subgraph(65_000);
    const fetcher = fetcherOf();
    expect(await post(fetcher, sg.url)).toBe(ANSWER);
    await sleep(50);
    expect(await post(fetcher, sg.url)).toBe(ANSWER);
    expect(sg.opened).toBe(1);
  });

  it('closes an idle connection after its idle time when the subgraph announces none', async () => {
    const sg = await subgraph(0); // no Keep-Alive header, no idle timeout of its own
    const fetcher = fetcherOf({ idleMs: 150 });
    await post(fetcher, sg.url);
    await sleep(400);
    expect(sg.closed).toBe(1);
    await post(fetcher, sg.url);
    expect(sg.opened).toBe(2);
  });

  it("closes an idle connection a second before the subgraph's announced keep-alive timeout", async () => {
    const sg = await subgraph(2_000); // Keep-Alive: timeout=2
    const fetcher = fetcherOf({ idleMs: 60_000 });
    await post(fetcher, sg.url);
    await sleep(600);
    expect(sg.closed).toBe(0);
    await sleep(700);
    expect(sg.closed).toBe(1); // by us, after about 1 s; the subgraph would have closed it at 2 s
  });

  it('does not reuse a connection whose announced timeout leaves no margin', async () => {
    const sg = await subgraph(1_999); // Keep-Alive: timeout=1
    const fetcher = fetcherOf();
    for (let i = 0; i < 3; i++) expect(await post(fetcher, sg.url)).toBe(ANSWER);
    expect(sg.opened).toBe(3);
  });

  it('sends a query dropped on a reused connection once more, on a new connection', async () => {
    const sg = await subgraph(65_000, { dropReused: true });
    const fetcher = fetcherOf();
    expect(await post(fetcher, sg.url)).toBe(ANSWER);
    await sleep(20);
    expect(await post(fetcher, sg.url)).toBe(ANSWER);
    expect(fetcher.retries).toBe(1);
    expect(sg.answered).toBe(2);
  });

  it('never sends a mutation twice', async () => {
    const sg = await subgraph(65_000, { dropReused: true });
    let received = 0;
    sg.server.on('request', () => received++);
    const fetcher = fetcherOf();
    await post(fetcher, sg.url);
    await sleep(20);
    await expect(post(fetcher, sg.url, MUTATION)).rejects.toMatchObject({ message: 'other side closed' });
    expect(received).toBe(2);
    expect(fetcher.retries).toBe(0);
  });

  it('sends a dropped query no more than twice', async () => {
    let received = 0;
    const server = http.createServer((req) => {
      received++;
      req.socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push(server);
    const fetcher = fetcherOf();
    await expect(post(fetcher, `http://127.0.0.1:${(server.address() as AddressInfo).port}/`)).rejects.toMatchObject({
      message: 'other side closed',
    });
    expect(received).toBe(2);
    expect(fetcher.retries).toBe(1);
  });

  it('does not send a query again once its answer has begun', async () => {
    let received = 0;
    const server = http.createServer((_req, res) => {
      received++;
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      res.write('{"data":');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push(server);
    const fetcher = fetcherOf();
    await expect(post(fetcher, `http://127.0.0.1:${(server.address() as AddressInfo).port}/`)).rejects.toThrow();
    expect(received).toBe(1);
    expect(fetcher.retries).toBe(0);
  });

  it('fails a request that outlasts its timeout', async () => {
    const server = http.createServer(() => {});
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push(server);
    const fetcher = fetcherOf({ timeoutMs: 100 });
    await expect(post(fetcher, `http://127.0.0.1:${(server.address() as AddressInfo).port}/`)).rejects.toMatchObject({
      code: 'UND_ERR_HEADERS_TIMEOUT',
    });
    expect(fetcher.retries).toBe(0);
  });
});
