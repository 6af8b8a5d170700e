/**
 * The audit outbox as the relay sees it: claim the oldest unshipped events
 * under row locks (FOR UPDATE SKIP LOCKED, so two registry processes never
 * claim the same rows), hand them to a sender, mark them shipped in the same
 * transaction; prune shipped rows after the retention. Events the metrics
 * subgraph refused as invalid are quarantined (kept, skipped, never pruned).
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

/** What a send made of a batch: events the receiver refused as invalid, by id, with why (the rest were stored). */
export interface SendVerdict {
  rejected: Map<string, string>;
}

export interface OutboxBacklog {
  /** Events waiting to be shipped. */
  pending: number;
  /** Age of the oldest waiting event, in seconds (0 when none). */
  oldestPendingSeconds: number;
  /** Events refused as invalid, kept aside. */
  quarantined: number;
}

export class OutboxStore {
  constructor(private readonly prisma: PrismaClient) {}

  /**
   * Claims up to `limit` of the oldest unshipped events, calls `send` with
   * them while holding their row locks, and marks them shipped when it
   * resolves; when it throws, nothing is marked and the locks go (the events
   * wait for the next try). When the receiver refused some as invalid (and
   * so stored none), those are quarantined and the others wait for the next
   * try, at once. Returns how many were shipped. `timeoutMs` bounds the whole
   * transaction (send included).
   */
  async shipOldest(
    limit: number,
    send: (events: AuditEvent[]) => Promise<SendVerdict | undefined>,
    timeoutMs: number,
  ): Promise<{ shipped: number; quarantined: number }> {
    return this.prisma.$transaction(
      async (tx) => {
        const rows = await tx.$queryRaw<OutboxRow[]>`
          SELECT id::text AS id, occurred_at, actor_id, actor_kind, request_id, action, entity_type, entity_id,
                 project_id::text AS project_id, change_digest, summary
          FROM audit_outbox WHERE shipped_at IS NULL AND quarantined_at IS NULL
          ORDER BY occurred_at, id LIMIT ${limit}
          FOR UPDATE SKIP LOCKED`;
        if (rows.length === 0) return { shipped: 0, quarantined: 0 };
        const verdict = await send(rows.map(toEvent));
        const rejected = [...(verdict?.rejected ?? new Map<string, string>())];
        if (rejected.length > 0) {
          for (const [id, reason] of rejected) {
            await tx.$executeRaw`UPDATE audit_outbox SET quarantined_at = now(), quarantine_reason = ${reason.slice(0, 1000)}
              WHERE id = ${id}::uuid`;
          }
          return { shipped: 0, quarantined: rejected.length };
        }
        const ids = rows.map((r) => r.id);
        await tx.$executeRaw`UPDATE audit_outbox SET shipped_at = now() WHERE id = ANY(${ids}::uuid[])`;
        return { shipped: rows.length, quarantined: 0 };
      },
      { maxWait: 5_000, timeout: timeoutMs },
    );
  }

  /** Events not shipped yet (quarantined ones left out). */
  async pending(): Promise<number> {
    return (await this.backlog()).pending;
  }

  /** What waits in the outbox (for /health). */
  async backlog(): Promise<OutboxBacklog> {
    const [row] = await this.prisma.$queryRaw<{ pending: bigint; oldest: Date | null; quarantined: bigint }[]>`
      SELECT count(*) FILTER (WHERE quarantined_at IS NULL) AS pending,
             min(occurred_at) FILTER (WHERE quarantined_at IS NULL) AS oldest,
             count(*) FILTER (WHERE quarantined_at IS NOT NULL) AS quarantined
      FROM audit_outbox WHERE shipped_at IS NULL`;
    return {
      pending: Number(row?.pending ?? 0),
      oldestPendingSeconds: row?.oldest ? Math.max(0, Math.round((Date.now() - row.oldest.getTime()) / 1000)) : 0,
      quarantined: Number(row?.quarantined ?? 0),
    };
  }

  /** Deletes up to `limit` events shipped before `cutoff`; returns how many. */
  prune(cutoff: Date, limit = 10_000): Promise<number> {
    return this.prisma.$executeRaw`DELETE FROM audit_outbox WHERE id IN (
      SELECT id FROM audit_outbox WHERE shipped_at < ${cutoff} ORDER BY shipped_at LIMIT ${limit})`;
  }
}
