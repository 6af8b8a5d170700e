/**
 * For the catalog's integration tests (models, datasets, prompts): the test
 * registry (testing/testRegistry.ts) plus assertions on results and seeding of
 * users, projects, memberships and runs straight through Prisma.
 */
import type { Caller } from '@lab/shared';
import type { Role } from '../access/access';
import type { PrismaClient } from '../generated/prisma/client';
import { startTestRegistry } from './testRegistry';

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

export async function startCatalogRegistry(): Promise<CatalogRegistry> {
  const registry = await startTestRegistry();
  const { prisma, statements } = registry;
  let seq = 0;
  const gql = (query: string, caller: Caller, variables?: Record<string, unknown>): Promise<GqlResult> =>
    registry.run(query, caller, variables);
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
    stop: registry.stop,
  };
}
