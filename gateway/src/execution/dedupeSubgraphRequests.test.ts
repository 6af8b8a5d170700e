/** Identical subgraph requests in flight sent once, per caller, for queries only. */
import type { GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { type Caller, CONTEXT_HEADER, listen, type RunningServer } from '@lab/shared';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { GatewayContext } from '../context';
import { dedupeSubgraphRequests } from './dedupeSubgraphRequests';
import { SignedDataSource } from './signedDataSource';
import { subgraphFetcher } from './subgraphFetcher';

const log = pino({ level: 'silent' });
const secret = 'a-test-secret-of-at-least-32-characters';
const alice: Caller = { id: 'alice', kind: 'user', scopes: ['read'] };
const bob: Caller = { id: 'bob', kind: 'user', scopes: ['read'] };

/** A subgraph that answers every POST after 50 ms and records what it received. */
let subgraph: RunningServer;
let received: { query: string; signed: boolean }[] = [];

beforeAll(async () => {
  subgraph = await listen(
    (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString()) as { query: string };
        received.push({ query: body.query, signed: typeof req.headers[CONTEXT_HEADER] === 'string' });
        const answer = JSON.stringify({ data: { items: [{ id: '1', n: received.length }] } });
        setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end(answer), 50);
      });
    },
    0,
    '127.0.0.1',
  );
});
afterAll(() => subgraph.close());
beforeEach(() => {
  received = [];
});

function dataSource() {
  const source = new SignedDataSource('things', `${subgraph.url}/graphql`, secret, log);
  source.fetcher = subgraphFetcher();
  return dedupeSubgraphRequests('things', source);
}

function request(caller: Caller, query: string, operation: 'query' | 'mutation' = 'query', variables = { id: '1' }) {
  const context: GatewayContext = { requestId: crypto.randomUUID(), caller, log };
  return {
    kind: 'incoming operation',
    request: { query, variables },
    incomingRequestContext: { operation: { operation }, context },
    context,
  } as unknown as GraphQLDataSourceProcessOptions<GatewayContext>;
}

const QUERY = 'query($id: ID!) { items(id: $id) { id n } }';

describe('dedupeSubgraphRequests', () => {
  it('sends two identical concurrent queries of one caller once, each getting its own copy', async () => {
    const source = dataSource();
    const [a, b] = await Promise.all([source.process(request(alice, QUERY)), source.process(request(alice, QUERY))]);
    expect(received).toHaveLength(1);
    expect(received[0]?.signed).toBe(true);
    expect(b.data).toEqual(a.data);
    expect(b.data).not.toBe(a.data);
    (a.data as { items: { n: number }[] }).items[0]!.n = 99;
    expect((b.data as { items: { n: number }[] }).items[0]?.n).toBe(1);
  });

  it('never shares an answer across callers', async () => {
    const source = dataSource();
    await Promise.all([source.process(request(alice, QUERY)), source.process(request(bob, QUERY))]);
    expect(received).toHaveLength(2);
  });

  it('sends queries with other variables or text separately', async () => {
    const source = dataSource();
    await Promise.all([
      source.process(request(alice, QUERY)),
      source.process(request(alice, QUERY, 'query', { id: '2' })),
      source.process(request(alice, '{ items(id: "1") { id } }')),
    ]);
    expect(received).toHaveLength(3);
  });

  it('never deduplicates mutations, nor the fetches of a client mutation', async () => {
    const source = dataSource();
    const mutation = 'mutation($id: ID!) { touch(id: $id) { id } }';
    await Promise.all([
      source.process(request(alice, mutation, 'mutation')),
      source.process(request(alice, mutation, 'mutation')),
    ]);
    expect(received).toHaveLength(2);
    await Promise.all([source.process(request(alice, QUERY, 'mutation')), source.process(request(alice, QUERY, 'mutation'))]);
    expect(received).toHaveLength(4);
  });

  it('keeps nothing once answered: the next identical query goes out again', async () => {
    const source = dataSource();
    await source.process(request(alice, QUERY));
    await source.process(request(alice, QUERY));
    expect(received).toHaveLength(2);
  });

  it('gives every waiter SERVICE_UNAVAILABLE naming the subgraph when it is unreachable', async () => {
    const closed = await listen(() => {}, 0, '127.0.0.1');
    await closed.close();
    const source = new SignedDataSource('things', `${closed.url}/graphql`, secret, log);
    source.fetcher = subgraphFetcher();
    const deduped = dedupeSubgraphRequests('things', source);
    const results = await Promise.allSettled([deduped.process(request(alice, QUERY)), deduped.process(request(alice, QUERY))]);
    for (const r of results) {
      // Thrown, or answered with an error at each field the subgraph would have filled (unavailableFields.ts).
      const error = r.status === 'rejected' ? r.reason : r.value.errors?.[0];
      expect((error as { extensions?: unknown }).extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', service: 'things' });
    }
  });
});
