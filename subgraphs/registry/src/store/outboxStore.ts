/**
 * The audit outbox as the relay sees it: claim the oldest unshipped events
 * under row locks (FOR UPDATE SKIP LOCKED, so two registry processes never
 * claim the same rows), hand them to a sender, mark them shipped in the same
 * transaction; prune shipped rows after the retention.
 */
import type { AuditEvent } from '@lab/shared';
import type { PrismaClient } from '../generated/prisma/client';

interface OutboxRow {
  id: string;
  occurred_at: Date;
  actor_id: string;
  actor_kind: string;
  request_id: string;
  action: string;
  entity_type: string;
  entity_id: string;
  project_id: string | null;
  change_digest: string;
  summary: Record<string, unknown>;
}

function toEvent(r: OutboxRow): AuditEvent {
  return {
    id: r.id,
    occurredAtMs: r.occurred_at.getTime(),
    actorId: r.actor_id,
    actorKind: r.actor_kind,
    requestId: r.request_id,
    action: r.action,
    entityType: r.entity_type,
    entityId: r.entity_id,
    projectId: r.project_id ?? '',
    changeDigest: r.change_digest,
    summary: r.summary,
  };
}

export class OutboxStore {
  constructor(private readonly prisma: PrismaClient) {}

  /**
   * Claims up to `limit` of the oldest unshipped events, calls `send` with
   * them while holding their row locks, and marks them shipped when it
   * resolves; when it throws, nothing is marked and the locks go (the events
   * wait for the next try). Returns how many were shipped. `timeoutMs` bounds
   * the whole transaction (send included).
   */
  async shipOldest(limit: number, send: (events: AuditEvent[]) => Promise<void>, timeoutMs: number): Promise<number> {
    return this.prisma.$transaction(
      async (tx) => {
        const rows = await tx.$queryRaw<OutboxRow[]>`
          SELECT id::text AS id, occurred_at, actor_id, actor_kind, request_id, action, entity_type, entity_id,
                 project_id::text AS project_id, change_digest, summary
          FROM audit_outbox WHERE shipped_at IS NULL
          ORDER BY occurred_at, id LIMIT ${limit}
          FOR UPDATE SKIP LOCKED`;
        if (rows.length === 0) return 0;
        await send(rows.map(toEvent));
        const ids = rows.map((r) => r.id);
        await tx.$executeRaw`UPDATE audit_outbox SET shipped_at = now() WHERE id = ANY(${ids}::uuid[])`;
        return rows.length;
      },
      { maxWait: 5_000, timeout: timeoutMs },
    );
  }

  /** Events not shipped yet. */
  async pending(): Promise<number> {
    const rows = await this.prisma.$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM audit_outbox WHERE shipped_at IS NULL`;
    return Number(rows[0]?.n ?? 0);
  }

  /** Deletes up to `limit` events shipped before `cutoff`; returns how many. */
  prune(cutoff: Date, limit = 10_000): Promise<number> {
    return this.prisma.$executeRaw`DELETE FROM audit_outbox WHERE id IN (
      SELECT id FROM audit_outbox WHERE shipped_at < ${cutoff} ORDER BY shipped_at LIMIT ${limit})`;
  }
}
