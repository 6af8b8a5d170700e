/**
 * The registry store: the one holder of the Prisma client (generated client
 * over @prisma/adapter-pg) and its pg pool. Resolvers and the service call it,
 * never the client.
 */
import type { Logger } from '@lab/shared';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { BOOTSTRAP_ADMIN_EMAIL, BOOTSTRAP_ADMIN_ID, BOOTSTRAP_ADMIN_NAME } from '../constants';
import { PrismaClient, type User } from '../generated/prisma/client';

export type { User };

import type { StoreStatus } from '@lab/shared/sdl';

export type { StoreStatus };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

function abortable<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) return Promise.reject(new Error('aborted'));
  return Promise.race([
    work,
    new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true })),
  ]);
}

export class RegistryStore {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly pool: pg.Pool,
  ) {}

  /** Users by id, in the order asked, null where unknown (a DataLoader batch function). */
  async usersByIds(ids: readonly string[]): Promise<(User | null)[]> {
    const wanted = [...new Set(ids.filter(isUuid).map((id) => id.toLowerCase()))];
    const found = wanted.length > 0 ? await this.prisma.user.findMany({ where: { id: { in: wanted } } }) : [];
    const byId = new Map(found.map((u) => [u.id, u]));
    return ids.map((id) => byId.get(id.toLowerCase()) ?? null);
  }

  /** The bootstrap admin user (fixed id), created or made admin again. */
  upsertBootstrapAdmin(): Promise<User> {
    return this.prisma.user.upsert({
      where: { id: BOOTSTRAP_ADMIN_ID },
      create: { id: BOOTSTRAP_ADMIN_ID, email: BOOTSTRAP_ADMIN_EMAIL, name: BOOTSTRAP_ADMIN_NAME, isAdmin: true },
      update: { isAdmin: true },
    });
  }

  /** Health check: SELECT 1 through the pool. */
  async ping(signal?: AbortSignal): Promise<void> {
    await abortable(this.pool.query('SELECT 1'), signal);
  }

  async status(): Promise<StoreStatus> {
    const started = performance.now();
    const result = await this.pool.query<{ server_version: string }>('SHOW server_version');
    const latencyMs = Math.round((performance.now() - started) * 10) / 10;
    return { service: 'registry', store: 'postgresql', serverVersion: result.rows[0]?.server_version ?? 'unknown', latencyMs };
  }

  async close(): Promise<void> {
    await this.prisma.$disconnect();
    await this.pool.end();
  }
}

export interface StoreOptions {
  maxConnections?: number;
  log?: Pick<Logger, 'warn'>;
}

export function openRegistryStore(databaseUrl: string, options: StoreOptions = {}): RegistryStore {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: options.maxConnections ?? 10, connectionTimeoutMillis: 5000 });
  // An idle client losing its connection (server restart) must not crash the process.
  pool.on('error', (err) => options.log?.warn({ err }, 'idle PostgreSQL connection failed'));
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  return new RegistryStore(prisma, pool);
}
