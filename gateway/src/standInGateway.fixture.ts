/**
 * Test-only: a real gateway on a free port in front of stand-in subgraphs (the
 * shared subgraph shell, no stores) whose registry has users, a connection, a
 * JSON argument and a subscription, with the limits of the configuration
 * defaults unless a test changes them. Callers are keys of the form
 * `key-<id>`; `post` and `get` answer status, headers and the JSON body.
 */
import { type Caller, loadConfig, type ProtectionConfig, REDACTED_PATHS } from '@lab/shared';
import { startSubgraph } from '@lab/shared/subgraph';
import { pino } from 'pino';
import WebSocket from 'ws';
import type { Authenticator } from './auth/authenticate';
import { composeSupergraph } from './compose/compose';
import { standIns } from './compose/standIns.fixture';
import { STORE_OWNERS, type SubgraphName } from './constants';
import { type RunningGateway, startGateway } from './server';

const SECRET = 's'.repeat(32);

export const STAND_IN_REGISTRY = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable"])
scalar JSON
type User @key(fields: "id") { id: ID!, email: String!, name: String!, friends(first: Int): UserConnection! }
type UserConnection { edges: [UserEdge!]!, totalCount: Int! }
type UserEdge { node: User! }
type StoreStatus @shareable { service: String!, store: String!, serverVersion: String!, latencyMs: Float! }
type Query { me: User, users(first: Int): UserConnection!, search(filter: JSON, minScore: Float): [User!]!, registryStatus: StoreStatus! }
type Subscription { userChanged(id: ID): User! }`;

const user = (id: string) => ({ id, email: `${id}@lab.test`, name: id });
const connection = (first: number | undefined) => {
  const edges = Array.from({ length: Math.min(first ?? 2, 3) }, (_, i) => ({ node: user(`u${i}`) }));
  return { edges, totalCount: edges.length };
};

/** Callers by key: `key-<id>` is user <id> with every scope. */
const authenticator: Authenticator = {
  async authenticate(key) {
    const id = key.match(/^key-(\w+)$/)?.[1];
    return id ? ({ id, kind: 'user', scopes: ['*'] } satisfies Caller) : undefined;
  },
};

export interface Answer {
  status: number;
  headers: Headers;
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

export interface StandInGateway {
  gateway: RunningGateway;
  supergraphSdl: string;
  /** Subgraph GraphQL requests served so far. */
  subgraphCalls(): number;
  post(body: unknown, options?: { key?: string; headers?: Record<string, string> }): Promise<Answer>;
  /**
   * One operation over a new graphql-transport-ws socket, its payload sent as
   * written (JSON too deep for a client's JSON.stringify included): the first
   * message answering it (`next` or `error`).
   */
  overWebSocket(payloadJson: string): Promise<{ type: string; payload?: unknown }>;
  close(): Promise<void>;
}

export async function startStandInGateway(protection: Partial<ProtectionConfig> = {}): Promise<StandInGateway> {
  const log = pino({ level: 'silent', redact: { paths: REDACTED_PATHS } });
  const subgraphs = standIns({ registry: STAND_IN_REGISTRY });
  const storeOf = (name: SubgraphName) => Object.entries(STORE_OWNERS).find(([, owner]) => owner === name)?.[0] as string;
  let calls = 0;
  const running: { close(): Promise<void> }[] = [];
  const urls = {} as Record<SubgraphName, string>;
  for (const { name, typeDefs } of subgraphs) {
    const status = () => ({ service: name, store: storeOf(name), serverVersion: '1', latencyMs: 1 });
    const counted =
      <T>(answer: (args: { first?: number }) => T) =>
      (_: unknown, args: { first?: number }) => {
        calls++;
        return answer(args);
      };
    const subgraph = await startSubgraph(
      {
        name,
        typeDefs,
        log,
        internalSecret: SECRET,
        health: { [storeOf(name)]: async () => undefined },
        subscriptions: false,
        resolvers:
          name === 'registry'
            ? {
                Query: {
                  me: counted(() => user('me')),
                  users: counted((args) => connection(args.first)),
                  search: counted(() => [user('found')]),
                  registryStatus: status,
                },
                User: { friends: (_: unknown, args: { first?: number }) => connection(args.first) },
              }
            : { Query: { [`${name}Status`]: status } },
      },
      0,
      '127.0.0.1',
    );
    running.push(subgraph);
    urls[name] = `${subgraph.url}/graphql`;
  }
  const supergraphSdl = composeSupergraph(subgraphs).supergraphSdl as string;
  const gateway = await startGateway(
    {
      config: {
        internalSecret: SECRET,
        adminApiKey: undefined,
        subgraphUrls: urls,
        protection: { ...loadConfig({}).protection, ...protection },
      },
      log,
      supergraphSdl,
      authenticator,
      apiUsage: false,
    },
    0,
    '127.0.0.1',
  );
  return {
    gateway,
    supergraphSdl,
    subgraphCalls: () => calls,
    async post(body, options = {}) {
      const response = await fetch(`${gateway.url}/graphql`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${options.key ?? 'key-alice'}`,
          ...options.headers,
        },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      return { status: response.status, headers: response.headers, ...((await response.json()) as object) };
    },
    overWebSocket(payloadJson) {
      const socket = new WebSocket(`${gateway.url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
      return new Promise((resolve, reject) => {
        socket.on('error', reject);
        socket.on('close', (code, reason) => reject(new Error(`socket closed ${code} ${reason}`)));
        socket.on('open', () =>
          socket.send(JSON.stringify({ type: 'connection_init', payload: { Authorization: 'Bearer key-alice' } })),
        );
        socket.on('message', (data) => {
          const message = JSON.parse(String(data)) as { type: string; payload?: unknown };
          if (message.type === 'connection_ack') socket.send(`{"type":"subscribe","id":"1","payload":${payloadJson}}`);
          if (message.type === 'next' || message.type === 'error') {
            socket.removeAllListeners('close');
            socket.close();
            resolve(message);
          }
        });
      });
    },
    async close() {
      await gateway.close();
      await Promise.all(running.map((s) => s.close()));
    },
  };
}
