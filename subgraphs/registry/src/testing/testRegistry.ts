/**
 * For integration tests: the registry's schema and resolvers over a fresh
 * embedded PostgreSQL database, executed in-process, with every SQL
 * statement sent to PostgreSQL counted (at the pg client, below Prisma);
 * optionally with a metrics service to call (run lists ranked by metrics).
 */
import { type Caller, CONTEXT_HEADER, createLogger, signContext } from '@lab/shared';
import { startSubgraph } from '@lab/shared/subgraph';
import { createContext, type RegistryContext } from '../context';
import { migrate } from '../db/migrate';
import { startTempPostgres, type TempPostgres } from '../db/tempPostgres';
import type { PrismaClient } from '../generated/prisma/client';
import { createResolvers } from '../resolvers';
import { createStoreServices } from '../sagas/storeServices';
import { typeDefs } from '../schema';
import { createDatabaseClient, RegistryStore } from '../store/registryStore';

export interface ExecutionResult {
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

/** The internal secret the test registry signs and checks with (a metrics service beside it takes the same). */
export const TEST_REGISTRY_SECRET = 's'.repeat(32);
const secret = TEST_REGISTRY_SECRET;

export interface TestRegistryOptions {
  /** The metrics service's base URL, asked at each request (it may start after the registry). */
  metricsUrl?: () => string;
}

export interface TestRegistry {
  prisma: PrismaClient;
  /** The registry store the subgraph serves from (acting as "system" when called directly). */
  store: RegistryStore;
  /** SQL statements sent so far (reset it to start counting). */
  statements: string[];
  /** Runs an operation signed as the gateway would, with the client's Idempotency-Key when given. */
  run(
    query: string,
    caller: Caller,
    variables?: Record<string, unknown>,
    options?: { idempotencyKey?: string },
  ): Promise<ExecutionResult>;
  stop(): Promise<void>;
}

const log = createLogger('registry-test', { logLevel: 'silent', logFormat: 'json' });

export async function startTestRegistry(database = 'lab', options: TestRegistryOptions = {}): Promise<TestRegistry> {
  const server: TempPostgres = await startTempPostgres();
  const url = server.databaseUrl(database);
  await migrate(url, { info: () => {}, warn: () => {} });
  const statements: string[] = [];
  const { prisma, pool } = createDatabaseClient(url, { onStatement: (sql) => statements.push(sql) });
  const store = new RegistryStore(prisma, pool);
  const running = await startSubgraph<RegistryContext>(
    {
      name: 'registry',
      typeDefs,
      resolvers: createResolvers(),
      log,
      internalSecret: secret,
      context: createContext(store, {
        ...(options.metricsUrl
          ? {
              services: (requestId: string) =>
                createStoreServices({
                  artifactsUrl: 'http://127.0.0.1:9/',
                  metricsUrl: (options.metricsUrl as () => string)(),
                  internalSecret: secret,
                  requestId,
                }),
            }
          : {}),
      }),
      health: {},
      onClose: () => store.close(),
    },
    0,
    '127.0.0.1',
  );
  let n = 0;
  return {
    prisma,
    store,
    statements,
    async run(query, caller, variables, options) {
      const res = await fetch(`${running.url}/graphql`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [CONTEXT_HEADER]: signContext(secret, {
            requestId: `test-${++n}`,
            caller,
            query,
            idempotencyKey: options?.idempotencyKey,
          }),
        },
        body: JSON.stringify({ query, variables }),
      });
      return (await res.json()) as ExecutionResult;
    },
    stop: async () => {
      await running.close().catch(() => {}); // closes the store's pool too
      await server.stop();
    },
  };
}
