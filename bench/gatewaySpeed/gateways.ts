/**
 * The gateways the gateway-speed benchmark compares, each run as a process
 * of its own: `node --import tsx gateways.ts stock|ours|ours-nodedup`, with
 * the supergraph in BENCH_SUPERGRAPH_FILE. Prints one JSON line
 * `{ "url": ... }` once listening.
 *
 * - stock: what the public benchmark runs for Apollo Gateway — Apollo Server
 *   with `new ApolloGateway({ supergraphSdl })` and its standalone HTTP
 *   server, nothing tuned (the default RemoteGraphQLDataSource).
 * - ours: the platform's gateway as `npm start` runs it (startGateway:
 *   authentication, rate limits, operation limits, authorization, signed
 *   subgraph requests, subscriptions, /metrics, API usage records), with
 *   BENCH_CALLERS API keys (`BENCH_API_KEY` followed by `.0`, `.1`, ...),
 *   each its own caller. The rate limit is on at a million a second, so it
 *   counts every request but refuses none; the cost limit is raised to a
 *   million for the heavy query (about 341,000), the other operation limits
 *   keep their defaults. API usage records go to a sink
 *   in the subgraphs' process (BENCH_SINK_URL), which answers 204.
 * - ours-nodedup: the same without in-flight sharing of subgraph requests.
 */
import { readFileSync } from 'node:fs';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { type Authenticator, startGateway } from '@lab/gateway';
import { type Caller, createLogger, loadConfig } from '@lab/shared';

async function stock(supergraphSdl: string): Promise<string> {
  // As the public benchmark runs it: plain node, without the source maps tsx turns on (its HTTP client
  // makes an Error per request to read the stack, which source maps make costly).
  process.setSourceMapsEnabled(false);
  const server = new ApolloServer({ gateway: new ApolloGateway({ supergraphSdl }) });
  const { url } = await startStandaloneServer(server, { listen: { port: 0, host: '127.0.0.1' } });
  return `${url.replace(/\/$/, '')}/`;
}

async function ours(supergraphSdl: string, subgraphUrls: Record<string, string>, dedupe: boolean): Promise<string> {
  const secret = process.env.LAB_INTERNAL_SECRET ?? '';
  const apiKey = process.env.BENCH_API_KEY ?? '';
  const sink = process.env.BENCH_SINK_URL ?? '';
  const callers = new Map<string, Caller>();
  for (let i = 0; i < Number(process.env.BENCH_CALLERS ?? 20); i++) {
    callers.set(`${apiKey}.${i}`, { id: `bench-${i}`, kind: 'user', scopes: ['*'] });
  }
  const authenticator: Authenticator = {
    authenticate: async (key) => callers.get(key),
    known: (key) => callers.get(key),
  };
  const log = createLogger('bench-gateway', { logLevel: 'warn', logFormat: 'json' });
  const protection = loadConfig({}).protection;
  const running = await startGateway(
    {
      config: {
        internalSecret: secret,
        adminApiKey: undefined,
        // The platform's own subgraph names point at the sink: API usage, health and ingest go there.
        subgraphUrls: { registry: sink, metrics: sink, artifacts: sink, ...subgraphUrls },
        protection: {
          ...protection,
          rateLimit: { perSecond: 1e6, burst: 1e6 },
          // The heavy query's estimated cost (about 341,000) is over the default limit of 50,000.
          operationLimits: { ...protection.operationLimits, maxCost: 1e6 },
        },
      },
      log,
      supergraphSdl,
      authenticator,
      execution: { dedupe },
    },
    0,
    '127.0.0.1',
  );
  return `${running.url}/graphql`;
}

const which = process.argv[2];
const supergraphSdl = readFileSync(process.env.BENCH_SUPERGRAPH_FILE ?? '', 'utf8');
const subgraphUrls = JSON.parse(process.env.BENCH_SUBGRAPH_URLS ?? '{}') as Record<string, string>;
const url = which === 'stock' ? await stock(supergraphSdl) : await ours(supergraphSdl, subgraphUrls, which !== 'ours-nodedup');
process.stdout.write(`${JSON.stringify({ url })}\n`);
// Exit normally on SIGTERM, so a --cpu-prof profile (BENCH_GATEWAY_NODE_OPTIONS) gets written.
process.on('SIGTERM', () => process.exit(0));
