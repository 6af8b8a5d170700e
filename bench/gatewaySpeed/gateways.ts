/**
 * The two gateways the gateway-speed benchmark compares, each run as a
 * process of its own: `node --import tsx gateways.ts stock|ours`, with the
 * supergraph in BENCH_SUPERGRAPH_FILE. Prints one JSON line `{ "url": ... }`
 * once listening.
 *
 * - stock: what the public benchmark runs for Apollo Gateway — Apollo Server
 *   with `new ApolloGateway({ supergraphSdl })` and its standalone HTTP
 *   server, nothing tuned (the default RemoteGraphQLDataSource).
 * - ours: the platform's execution stack (createGatewayExecutor, the same
 *   call server.ts makes: signed data sources and the speedups) in Apollo
 *   Server on express 5 with the platform's server settings, each request
 *   authenticated by API key (BENCH_API_KEY) and errors masked.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { expressMiddleware } from '@as-integrations/express5';
import { adminKeyAuthenticator, authenticateRequest, createGatewayExecutor, type GatewayContext } from '@lab/gateway';
import { createLogger, listen, maskError } from '@lab/shared';
import express from 'express';

async function stock(supergraphSdl: string): Promise<string> {
  const server = new ApolloServer({ gateway: new ApolloGateway({ supergraphSdl }) });
  const { url } = await startStandaloneServer(server, { listen: { port: 0, host: '127.0.0.1' } });
  return `${url.replace(/\/$/, '')}/`;
}

async function ours(supergraphSdl: string, subgraphUrls: Record<string, string>): Promise<string> {
  const secret = process.env.LAB_INTERNAL_SECRET ?? '';
  const apiKey = process.env.BENCH_API_KEY ?? '';
  const log = createLogger('bench-gateway', { logLevel: 'warn', logFormat: 'json' });
  const { gateway } = createGatewayExecutor({ supergraphSdl, subgraphUrls, secret, log });
  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    csrfPrevention: true,
    introspection: true,
    includeStacktraceInErrorResponses: false,
    formatError: (formatted, error) => maskError(formatted, undefined, () => log.error({ err: error }, 'internal error')),
  });
  await apollo.start();
  const authenticator = adminKeyAuthenticator(apiKey);
  const app = express();
  app.disable('x-powered-by');
  app.use(
    '/graphql',
    express.json({ limit: 4 * 1024 * 1024 }),
    expressMiddleware(apollo, {
      context: async ({ req }) => {
        const requestId = randomUUID();
        const caller = await authenticateRequest(authenticator, req.headers.authorization);
        return { requestId, caller, log: log.child({ requestId, callerId: caller.id }) };
      },
    }),
  );
  const running = await listen(http.createServer(app), 0, '127.0.0.1');
  return `${running.url}/graphql`;
}

const which = process.argv[2];
const supergraphSdl = readFileSync(process.env.BENCH_SUPERGRAPH_FILE ?? '', 'utf8');
const subgraphUrls = JSON.parse(process.env.BENCH_SUBGRAPH_URLS ?? '{}') as Record<string, string>;
const url = which === 'stock' ? await stock(supergraphSdl) : await ours(supergraphSdl, subgraphUrls);
process.stdout.write(`${JSON.stringify({ url })}\n`);
// Exit normally on SIGTERM, so a --cpu-prof profile (BENCH_GATEWAY_NODE_OPTIONS) gets written.
process.on('SIGTERM', () => process.exit(0));
