/**
 * The registry store: the one holder of the Prisma client (generated client
 * over @prisma/adapter-pg) and its pg pool. Resolvers and the service call it,
 * never the client.
 */
import type { Logger } from '@lab/shared';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient, type User } from '../generated/prisma/client';
import { type AuditActor, SYSTEM_ACTOR } from './auditedStore';
import { DatasetsStore } from './datasetsStore';
import { ExperimentsStore } from './experimentsStore';
import { pruneIdempotencyKeys, type RequestIdempotency } from './idempotency';
import { IdentityStore } from './identityStore';
import { ModelsStore } from './modelsStore';
import { OutboxStore } from './outboxStore';
import { PromptsStore } from './promptsStore';
import { RunCandidatesStore } from './runCandidatesStore';
import { RunExportStore } from './runExportStore';
import { RunsStore } from './runsStore';
import { SagasStore } from './sagasStore';

export type { User };

import type { StoreStatus } from '@lab/shared/subgraph';

export type { StoreStatus };

function abortable<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) return Promise.reject(new Error('aborted'));
  return Promise.race([
    work,
    new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true })),
  ]);
}

/**
 * One store per domain, over one client. Domain stores are the only code that
 * knows SQL; resolvers and the service call them.
 */
export class RegistryStore {
  readonly identity: IdentityStore;
  readonly experiments: ExperimentsStore;
  /** Run changes after the start: updates and deletion. */
  readonly runs: RunsStore;
  /** The registry's half of run lists filtered or ordered by metrics. */
  readonly runCandidates: RunCandidatesStore;
  /** The runs CSV's rows, a page at a time. */
  readonly runExport: RunExportStore;
  readonly models: ModelsStore;
  readonly datasets: DatasetsStore;
  readonly prompts: PromptsStore;
  /** The audit outbox, as the relay reads it. */
  readonly outbox: OutboxStore;
  /** Saga state, as the orchestrator and the operation queries read it. */
  readonly sagas: SagasStore;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly pool: pg.Pool,
    /** Who the audit events of this store's writes name (per request: forActor). */
    readonly actor: AuditActor = SYSTEM_ACTOR,
    /** The request's Idempotency-Key, when it carries one (idempotency.ts). */
    readonly idempotency?: RequestIdempotency,
  ) {
    this.identity = new IdentityStore(prisma, actor, idempotency);
    this.experiments = new ExperimentsStore(prisma, actor, idempotency);
    this.runs = new RunsStore(prisma, actor, idempotency);
    this.runCandidates = new RunCandidatesStore(pool);
    this.runExport = new RunExportStore(pool);
    this.models = new ModelsStore(prisma, actor, idempotency);
    this.datasets = new DatasetsStore(prisma, actor, idempotency);
    this.prompts = new PromptsStore(prisma, actor, idempotency);
    this.outbox = new OutboxStore(prisma);
    this.sagas = new SagasStore(prisma);
  }

  /** The same store (same client and pool), its writes audited as `actor`'s, under the request's idempotency key: one per request. */
  forActor(actor: AuditActor, idempotency?: RequestIdempotency): RegistryStore {
    return new RegistryStore(this.prisma, this.pool, actor, idempotency);
  }

  /** Deletes expired idempotency keys; the count deleted. */
  pruneIdempotencyKeys(): Promise<number> {
    return pruneIdempotencyKeys(this.prisma);
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
  /** Sees every SQL statement sent (tests count them to prove batching). */
  onStatement?: (sql: string) => void;
}

/** The pg pool and the Prisma client over it. */
export function createDatabaseClient(databaseUrl: string, options: StoreOptions = {}): { prisma: PrismaClient; pool: pg.Pool } {
  const onStatement = options.onStatement;
  let Client = pg.Client;
  if (onStatement) {
    const query = pg.Client.prototype.query;
    Client = class CountingClient extends pg.Client {};
    Client.prototype.query = function countedQuery(this: pg.Client, ...args: unknown[]) {
      const first = args[0];
      onStatement(typeof first === 'string' ? first : String((first as { text?: string } | undefined)?.text ?? ''));
      return Reflect.apply(query, this, args);
    } as typeof query;
  }
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: 5000,
    Client,
  });
  // An idle client losing its connection (server restart) must not crash the process.
  pool.on('error', (err) => options.log?.warn({ err }, 'idle PostgreSQL connection failed'));
  return { prisma: new PrismaClient({ adapter: new PrismaPg(pool) }), pool };
}

export function openRegistryStore(databaseUrl: string, options: StoreOptions = {}): RegistryStore {
  const { prisma, pool } = createDatabaseClient(databaseUrl, options);
  return new RegistryStore(prisma, pool);
}
