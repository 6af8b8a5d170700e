/**
 * Saga state in PostgreSQL (the sagas table): started in the transaction of
 * the mutation's own first change, then claimed, advanced and finished by
 * the orchestrator (sagas/orchestrator.ts). Every write after the start is
 * conditional on the lease (lease_owner), so a process whose lease expired
 * and was taken over cannot move the saga any more.
 */
import { Prisma, type PrismaClient, type Saga, type SagaStatus } from '../generated/prisma/client';
import type { AuditActor, Tx } from './auditedStore';

export type { Saga, SagaStatus };

export interface NewSaga {
  kind: string;
  /** The first step to run. */
  step: string;
  input: object;
  /** Set for kinds that allow one active saga per entity. */
  activeKey?: string;
  entityType: string;
  entityId: string;
  projectId: string | null;
}

export interface SagaFilter {
  statuses?: SagaStatus[];
  kind?: string;
  projectIds?: string[] | 'all';
  entityId?: string;
}

const ACTIVE: SagaStatus[] = ['RUNNING', 'COMPENSATING'];

/** Inserts a saga in the caller's transaction (so it exists exactly when the change that starts it commits). */
export function startSaga(tx: Tx, actor: AuditActor, saga: NewSaga): Promise<Saga> {
  return tx.saga.create({
    data: {
      kind: saga.kind,
      step: saga.step,
      input: saga.input as Prisma.InputJsonObject,
      activeKey: saga.activeKey ?? null,
      entityType: saga.entityType,
      entityId: saga.entityId,
      projectId: saga.projectId,
      actorId: actor.actorId,
      actorKind: actor.actorKind,
      requestId: actor.requestId,
    },
  });
}

/** The sagas columns under the model's field names, for raw queries that answer whole rows. */
const SAGA_ROW = Prisma.sql`id::text AS id, kind, status::text AS status, step, input, state, active_key AS "activeKey",
  entity_type AS "entityType", entity_id AS "entityId", project_id::text AS "projectId", actor_id AS "actorId",
  actor_kind AS "actorKind", request_id AS "requestId", attempts, error, next_attempt_at AS "nextAttemptAt",
  lease_owner AS "leaseOwner", lease_until AS "leaseUntil", created_at AS "createdAt", updated_at AS "updatedAt",
  finished_at AS "finishedAt"`;

/** The active saga holding `activeKey`, if any (in the caller's transaction). */
export function startedSaga(tx: Tx, activeKey: string): Promise<Saga | null> {
  return tx.saga.findUnique({ where: { activeKey } });
}

export class SagasStore {
  constructor(private readonly prisma: PrismaClient) {}

  byId(id: string): Promise<Saga | null> {
    return this.prisma.saga.findUnique({ where: { id } });
  }

  /** The newest saga of `kind` on an entity, whatever its status. */
  latestOn(kind: string, entityId: string): Promise<Saga | null> {
    return this.prisma.saga.findFirst({ where: { kind, entityId }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] });
  }

  private where(filter: SagaFilter): Prisma.SagaWhereInput {
    return {
      ...(filter.statuses ? { status: { in: filter.statuses } } : {}),
      ...(filter.kind ? { kind: filter.kind } : {}),
      ...(filter.entityId ? { entityId: filter.entityId } : {}),
      ...(filter.projectIds && filter.projectIds !== 'all' ? { projectId: { in: filter.projectIds } } : {}),
    };
  }

  /** Newest first, keyset after (createdAt, id). */
  list(filter: SagaFilter, first: number, after?: { createdAt: Date; id: string }): Promise<Saga[]> {
    const where = this.where(filter);
    return this.prisma.saga.findMany({
      where: after
        ? {
            AND: [where, { OR: [{ createdAt: { lt: after.createdAt } }, { createdAt: after.createdAt, id: { lt: after.id } }] }],
          }
        : where,
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: first,
    });
  }

  count(filter: SagaFilter): Promise<number> {
    return this.prisma.saga.count({ where: this.where(filter) });
  }

  /**
   * Claims up to `limit` active sagas that are due and not leased (or whose
   * lease expired: its holder died), or the one saga `onlyId`. Row locks with
   * SKIP LOCKED: two orchestrators never claim the same saga.
   */
  async claim(owner: string, leaseMs: number, limit: number, onlyId?: string): Promise<Saga[]> {
    const only = onlyId ? Prisma.sql`AND id = ${onlyId}::uuid` : Prisma.empty;
    const due = onlyId ? Prisma.empty : Prisma.sql`AND next_attempt_at <= now()`;
    return this.prisma.$queryRaw<Saga[]>(Prisma.sql`
      UPDATE sagas SET lease_owner = ${owner}, lease_until = now() + ${leaseMs} * interval '1 millisecond'
      WHERE id IN (
        SELECT id FROM sagas
        WHERE status IN ('RUNNING', 'COMPENSATING') ${due} ${only}
          AND (lease_until IS NULL OR lease_until < now())
        ORDER BY next_attempt_at LIMIT ${limit}
        FOR UPDATE SKIP LOCKED)
      RETURNING ${SAGA_ROW}`);
  }

  /** Extends the lease; false when it is no longer ours. */
  async renew(id: string, owner: string, leaseMs: number): Promise<boolean> {
    const n = await this.prisma.$executeRaw(Prisma.sql`
      UPDATE sagas SET lease_until = now() + ${leaseMs} * interval '1 millisecond'
      WHERE id = ${id}::uuid AND lease_owner = ${owner}`);
    return n === 1;
  }

  /**
   * Records a step's outcome while holding the lease: the next step (or the
   * compensation's first), the state it added, the status. Returns the row as
   * written, or null when the lease was lost.
   */
  async advance(
    saga: Saga,
    owner: string,
    next: { step: string; status?: SagaStatus; state?: Record<string, unknown>; error?: string | null },
  ): Promise<Saga | null> {
    const now = new Date();
    const finished = next.status === 'SUCCEEDED' || next.status === 'FAILED';
    const data = {
      step: next.step,
      status: next.status ?? saga.status,
      state: { ...(saga.state as Record<string, unknown>), ...(next.state ?? {}) } as Prisma.InputJsonObject,
      attempts: 0,
      error: next.error !== undefined ? next.error : saga.error,
      nextAttemptAt: now,
      updatedAt: now,
      ...(finished ? { activeKey: null, finishedAt: now, leaseOwner: null, leaseUntil: null } : {}),
    };
    // Raw SQL: the saga's own bookkeeping runs after every step, and a plain UPDATE is the cheapest there is.
    const count = await this.prisma.$executeRaw`UPDATE sagas SET step = ${data.step}, status = ${data.status}::saga_status,
        state = ${JSON.stringify(data.state)}::jsonb, attempts = 0, error = ${data.error}, next_attempt_at = ${now},
        updated_at = ${now}, finished_at = ${finished ? now : null}::timestamptz,
        active_key = CASE WHEN ${finished} THEN NULL ELSE active_key END,
        lease_owner = CASE WHEN ${finished} THEN NULL ELSE lease_owner END,
        lease_until = CASE WHEN ${finished} THEN NULL ELSE lease_until END
      WHERE id = ${saga.id}::uuid AND lease_owner = ${owner}`;
    return count === 0 ? null : ({ ...saga, ...data, ...(finished ? {} : { finishedAt: saga.finishedAt }) } as Saga);
  }

  /** A failed try of the current step: counted, retried after `delayMs`, the lease let go. */
  async retryLater(saga: Saga, owner: string, error: string, delayMs: number): Promise<void> {
    // Raw, like every write but advance: updated_at stays the time of the last step done.
    await this.prisma.$executeRaw`UPDATE sagas SET attempts = attempts + 1, error = ${error.slice(0, 2000)},
        next_attempt_at = ${new Date(Date.now() + delayMs)}, lease_owner = NULL, lease_until = NULL
      WHERE id = ${saga.id}::uuid AND lease_owner = ${owner}`;
  }

  /** Lets the lease go without changing anything (the process is stopping). */
  async release(id: string, owner: string): Promise<void> {
    await this.prisma.$executeRaw`UPDATE sagas SET lease_owner = NULL, lease_until = NULL
      WHERE id = ${id}::uuid AND lease_owner = ${owner}`;
  }

  /** Active sagas, how many of them wait to retry a failed step, and the age of the oldest (for /health). */
  async activity(): Promise<{ active: number; retrying: number; oldestActiveSeconds: number }> {
    const [row] = await this.prisma.$queryRaw<{ active: bigint; retrying: bigint; oldest: Date | null }[]>`
      SELECT count(*) AS active, count(*) FILTER (WHERE attempts > 0) AS retrying, min(created_at) AS oldest
      FROM sagas WHERE status IN ('RUNNING', 'COMPENSATING')`;
    return {
      active: Number(row?.active ?? 0),
      retrying: Number(row?.retrying ?? 0),
      oldestActiveSeconds: row?.oldest ? Math.max(0, Math.round((Date.now() - row.oldest.getTime()) / 1000)) : 0,
    };
  }

  /** Active sagas not advanced for `olderThanMs`, retrying or not (the reconciler's "stuck"). */
  stuck(olderThanMs: number): Promise<Saga[]> {
    return this.prisma.saga.findMany({
      where: { status: { in: ACTIVE }, updatedAt: { lt: new Date(Date.now() - olderThanMs) } },
      orderBy: { createdAt: 'asc' },
      take: 1000,
    });
  }

  /** Active sagas, oldest first (the reconciler's view of the work in flight). */
  active(limit = 10_000): Promise<Saga[]> {
    return this.prisma.saga.findMany({ where: { status: { in: ACTIVE } }, orderBy: { createdAt: 'asc' }, take: limit });
  }

  /** Makes active sagas due now (the reconciler's repair of stuck ones); the count. */
  async retryNow(ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    const { count } = await this.prisma.saga.updateMany({
      where: { id: { in: [...ids] }, status: { in: ACTIVE }, OR: [{ leaseUntil: null }, { leaseUntil: { lt: new Date() } }] },
      data: { nextAttemptAt: new Date() },
    });
    return count;
  }
}
