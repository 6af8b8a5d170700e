/**
 * For the catalog's integration tests (models, datasets, prompts): the whole
 * registry schema over a fresh embedded PostgreSQL, served in-process and
 * called with signed contexts; SQL statements counted at the pg client; and
 * seeding of users, projects, memberships and runs straight through Prisma.
 */
import { type Caller, CONTEXT_HEADER, createLogger, signContext, startSubgraph } from '@lab/shared';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import type { Role } from '../../access/access';
import { createContext, type RegistryContext } from '../../context';
import { PrismaClient } from '../../generated/prisma/client';
import { createResolvers } from '../../resolvers';
import { typeDefs } from '../../schema';
import { migrate } from '../../store/migrate';
import { RegistryStore } from '../../store/registryStore';
import { startTempPostgres } from '../../store/tempPostgres';

export interface GqlError {
  message: string;
  extensions?: Record<string, unknown>;
}

export interface GqlResult {
  data?: Record<string, unknown> | null;
  errors?: GqlError[];
}

export interface CatalogRegistry {
  prisma: PrismaClient;
  /** SQL statements sent so far (clear it to start counting). */
  statements: string[];
  gql(query: string, caller: Caller, variables?: Record<string, unknown>): Promise<GqlResult>;
  /** Runs a query and returns its data, failing on any error. */
  ok<T = Record<string, unknown>>(query: string, caller: Caller, variables?: Record<string, unknown>): Promise<T>;
  /** Runs a query that must fail, and returns its first error. */
  fails(query: string, caller: Caller, variables?: Record<string, unknown>): Promise<GqlError>;
  user(name: string): Promise<Caller>;
  project(name: string, members: [Caller, Role][]): Promise<string>;
  /** An experiment with one run in the project; returns the run id. */
  run(projectId: string, owner: Caller, name?: string): Promise<string>;
  stop(): Promise<void>;
}

const secret = 'c'.repeat(32);
const log = createLogger('registry-test', { logLevel: 'silent', logFormat: 'json' });

export async function startCatalogRegistry(): Promise<CatalogRegistry> {
  const server = await startTempPostgres();
  const url = server.databaseUrl('lab');
  await migrate(url, { info: () => {}, warn: () => {} });
  const statements: string[] = [];
  class CountingClient extends pg.Client {}
  const originalQuery = pg.Client.prototype.query;
  CountingClient.prototype.query = function query(this: pg.Client, ...args: unknown[]) {
    const first = args[0];
    statements.push(typeof first === 'string' ? first : String((first as { text?: string })?.text ?? ''));
    return Reflect.apply(originalQuery, this, args);
  } as typeof originalQuery;
  const pool = new pg.Pool({ connectionString: url, max: 10, Client: CountingClient });
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  const store = new RegistryStore(prisma, pool);
  const running = await startSubgraph<RegistryContext>(
    {
      name: 'registry',
      typeDefs,
      resolvers: createResolvers(),
      log,
      internalSecret: secret,
      context: createContext(store),
      health: {},
      onClose: () => store.close(),
    },
    0,
    '127.0.0.1',
  );
  let n = 0;
  let seq = 0;
  const gql = async (query: string, caller: Caller, variables?: Record<string, unknown>): Promise<GqlResult> => {
    const res = await fetch(`${running.url}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [CONTEXT_HEADER]: signContext(secret, { requestId: `catalog-${++n}`, caller, query }),
      },
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as GqlResult;
  };
  return {
    prisma,
    statements,
    gql,
    async ok<T>(query: string, caller: Caller, variables?: Record<string, unknown>) {
      const result = await gql(query, caller, variables);
      if (result.errors?.length) throw new Error(`unexpected errors: ${JSON.stringify(result.errors)}`);
      return result.data as T;
    },
    async fails(query, caller, variables) {
      const result = await gql(query, caller, variables);
      const error = result.errors?.[0];
      if (!error) throw new Error(`expected an error, got ${JSON.stringify(result.data)}`);
      return error;
    },
    async user(name) {
      const user = await prisma.user.create({ data: { email: `${name}-${++seq}@lab.test`, name } });
      return { id: user.id, kind: 'user', scopes: ['*'] };
    },
    async project(name, members) {
      const creator = members[0]?.[0];
      if (!creator) throw new Error('a project needs a member');
      const project = await prisma.project.create({ data: { name: `${name}-${++seq}`, createdById: creator.id } });
      await prisma.projectMember.createMany({
        data: members.map(([caller, role]) => ({ projectId: project.id, userId: caller.id, role })),
      });
      return project.id;
    },
    async run(projectId, owner, name = 'run') {
      const experiment = await prisma.experiment.create({
        data: { projectId, name: `exp-${++seq}`, ownerId: owner.id },
      });
      const run = await prisma.run.create({ data: { experimentId: experiment.id, name, createdById: owner.id } });
      return run.id;
    },
    stop: async () => {
      await running.close().catch(() => {});
      await server.stop();
    },
  };
}
