/**
 * The gateway over HTTP against subgraphs that close idle connections early: one on Node's keep-alive
 * of 1 s, one that announces 5 s (Node's default) but closes a connection when a request arrives on
 * it after 300 ms of silence, as a server whose idle timer fires just as the request goes out. Under
 * bursts of concurrent callers (identical queries of one caller shared in flight) separated by pauses
 * around those timeouts, every answer is the full, verified one.
 */
import type { Socket } from 'node:net';
import type { Caller } from '@lab/shared';
import { type RunningSubgraph, startSubgraph } from '@lab/shared/subgraph';
import { parse } from 'graphql';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Authenticator } from '../auth/authenticate';
import { composeSupergraph } from '../compose/compose';
import { type RunningGateway, startGateway } from '../server';

const SECRET = 's'.repeat(32);
const LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])';
const log = pino({ level: 'silent' });
const authenticator: Authenticator = {
  async authenticate(key) {
    const id = key.match(/^key-(\w+)$/)?.[1];
    return id ? ({ id, kind: 'user', scopes: ['*'] } satisfies Caller) : undefined;
  },
};

const SDL = {
  registry: `${LINK}\ntype User @key(fields: "id") { id: ID!, name: String! }\ntype Query { users(first: Int): [User!]! }`,
  metrics: `${LINK}\ntype User @key(fields: "id") { id: ID!, score(n: Int): Float! }\ntype Query { metricsStatus: String }`,
  artifacts: `${LINK}\ntype Query { artifactsStatus: String }`,
};
const QUERY = '{ users(first: 8) { id name score(n: 3) } }';

let gateway: RunningGateway;
const subgraphs: RunningSubgraph[] = [];
let dropped = 0;

beforeAll(async () => {
  const urls = {} as Record<'registry' | 'metrics' | 'artifacts', string>;
  const resolvers = {
    registry: {
      Query: {
        users: (_: unknown, { first }: { first: number }) =>
          Array.from({ length: first }, (_, i) => ({ id: `u${i}`, name: `user ${i}` })),
      },
    },
    metrics: {
      Query: { metricsStatus: () => 'up' },
      User: {
        __resolveReference: (ref: { id: string }) => ref,
        score: (u: { id: string }, { n }: { n: number }) => u.id.length * n,
      },
    },
    artifacts: { Query: { artifactsStatus: () => 'up' } },
  };
  for (const name of ['registry', 'metrics', 'artifacts'] as const) {
    const subgraph = await startSubgraph(
      {
        name,
        typeDefs: parse(SDL[name]),
        resolvers: resolvers[name],
        log,
        internalSecret: SECRET,
        health: {},
        subscriptions: false,
      },
      0,
      '127.0.0.1',
    );
    subgraphs.push(subgraph);
    urls[name] = `${subgraph.url}/graphql`;
  }
  const [registry, metrics] = subgraphs as [RunningSubgraph, RunningSubgraph];
  registry.server.keepAliveTimeout = 1_000;
  metrics.server.keepAliveTimeout = 5_000;
  // The metrics subgraph closes a connection that was silent for 300 ms when a request arrives on it.
  const lastAnswer = new WeakMap<Socket, number>();
  metrics.server.prependListener('request', (req, res) => {
    const socket = req.socket;
    const last = lastAnswer.get(socket);
    if (last !== undefined && Date.now() - last > 300) {
      dropped++;
      socket.destroy();
      return;
    }
    res.on('finish', () => lastAnswer.set(socket, Date.now()));
  });
  const supergraphSdl = composeSupergraph(
    (['registry', 'metrics', 'artifacts'] as const).map((name) => ({ name, typeDefs: parse(SDL[name]) })),
  ).supergraphSdl as string;
  gateway = await startGateway(
    {
      config: { internalSecret: SECRET, adminApiKey: undefined, subgraphUrls: urls },
      log,
      supergraphSdl,
      authenticator,
      apiUsage: false,
    },
    0,
    '127.0.0.1',
  );
});

afterAll(async () => {
  await gateway?.close();
  await Promise.all(subgraphs.map((s) => s.close()));
});

async function ask(caller: string): Promise<string> {
  const res = await fetch(`${gateway.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer key-${caller}` },
    body: JSON.stringify({ query: QUERY }),
  });
  return `${res.status} ${await res.text()}`;
}

describe('the gateway against subgraphs with short keep-alive timeouts', () => {
  it('answers every request in full across idle pauses around the timeouts', async () => {
    const verified = await ask('alice');
    expect(verified).toMatch(/^200 /);
    expect(verified).not.toContain('errors');
    expect(verified).toContain('"score":6');
    const answers: string[] = [];
    // Pauses before each burst, around the 300 ms, 1 s and 2 s boundaries.
    for (const pause of [0, 350, 10, 1_050, 0, 950, 400, 2_050, 5, 320, 1_000]) {
      await new Promise((resolve) => setTimeout(resolve, pause));
      // 4 callers, 5 identical concurrent queries each (shared in flight within a caller).
      const burst = Array.from({ length: 20 }, (_, i) => ask(`c${i % 4}`));
      answers.push(...(await Promise.all(burst)));
    }
    const partial = answers.filter((a) => a !== verified);
    expect(partial).toEqual([]);
    expect(answers).toHaveLength(220);
    expect(dropped).toBeGreaterThan(0);
  }, 30_000);
});
