/**
 * The audit trail's write side (transactional outbox): every mutating store
 * method runs its change through `withAudit`, which opens the transaction,
 * lets the change record its audit events, and inserts them into
 * audit_outbox in that same transaction. The change and its events commit
 * together or not at all: a failed or refused change leaves no event, and no
 * committed change lacks one. The relay (audit/auditRelay.ts) ships them.
 *
 * Who: each request gets its own view of the store (RegistryStore.forActor)
 * carrying the caller and request id; the shared store acts as "system".
 *
 * Idempotent mutations: when the request carries an Idempotency-Key, the
 * same transaction claims it first and stores the result last
 * (idempotency.ts): a retry gets the committed result back without the work.
 */
import { AUDIT_MAX_SUMMARY, changeDigest, labError } from '@lab/shared';
import { Prisma, type PrismaClient } from '../generated/prisma/client';
import { claimIdempotencyKey, type RequestIdempotency, settleIdempotencyKey } from './idempotency';
import { type EntityKind, PROJECT_OF } from './projectOf';

export interface AuditActor {
  actorId: string;
  /** admin, user, service (the caller kinds), or system (the registry itself). */
  actorKind: string;
  requestId: string;
}

/** The registry acting on its own (start-up work, tests calling stores directly). */
export const SYSTEM_ACTOR: AuditActor = { actorId: 'registry', actorKind: 'system', requestId: '' };

export interface AuditRecord {
  /** `<entity>.<verb>`, e.g. experiment.create. */
  action: string;
  /** The GraphQL type name: Project, Experiment, Run, ... */
  entityType: string;
  entityId: string;
  /** The entity's project, when the change knows it; else `projectOf` finds it in the same transaction. */
  projectId?: string | null;
  projectOf?: { kind: EntityKind; id: string };
  /** What changed (no secrets): digested whole, kept as a summary. */
  change: Record<string, unknown>;
}

export type Tx = Prisma.TransactionClient;
/** Records one audit event of the change in progress. */
export type Audit = (record: AuditRecord) => void;

const MAX_TEXT = 200;

/** The change, JSON-safe, strings cut to 200 characters; when still over AUDIT_MAX_SUMMARY, its keys only. */
export function auditSummary(change: Record<string, unknown>): Record<string, unknown> {
  const cut = JSON.parse(
    JSON.stringify(change, (_k, v: unknown) => {
      if (typeof v === 'bigint') return v.toString();
      if (typeof v === 'string' && v.length > MAX_TEXT) return `${v.slice(0, MAX_TEXT)}…`;
      return v;
    }) ?? '{}',
  ) as Record<string, unknown>;
  if (JSON.stringify(cut).length <= AUDIT_MAX_SUMMARY) return cut;
  return { truncated: true, keys: Object.keys(change).slice(0, 50) };
}

export abstract class AuditedStore {
  constructor(
    protected readonly prisma: PrismaClient,
    protected readonly actor: AuditActor = SYSTEM_ACTOR,
    /** The request's Idempotency-Key, when it carries one. */
    protected readonly idempotency?: RequestIdempotency,
  ) {}

  /**
   * Runs `work` in one transaction; the audit events it records are written to
   * audit_outbox before the commit, in the same transaction. Under an
   * idempotency key, a result an earlier attempt committed is returned instead
   * of running `work`; `replayable: false` refuses the key (a result that
   * cannot be given twice, such as a secret shown once).
   */
  protected withAudit<T>(
    work: (tx: Tx, audit: Audit) => Promise<T>,
    options?: { maxWait?: number; timeout?: number; isolationLevel?: Prisma.TransactionIsolationLevel; replayable?: false },
  ): Promise<T> {
    const { replayable, ...transactionOptions } = options ?? {};
    const idem = this.idempotency;
    if (idem && replayable === false) {
      return Promise.reject(
        labError(
          'BAD_USER_INPUT',
          'This mutation cannot be made idempotent (its result is shown once): send it without an Idempotency-Key',
        ),
      );
    }
    const scope = idem?.nextScope();
    return this.prisma.$transaction(async (tx) => {
      const claim = idem && scope ? await claimIdempotencyKey(tx, idem, scope) : undefined;
      if (claim?.kind === 'replay') return claim.result as T;
      const records: AuditRecord[] = [];
      const result = await work(tx, (record) => records.push(record));
      if (records.length > 0) await writeOutbox(tx, this.actor, records);
      if (idem && scope && claim) await settleIdempotencyKey(tx, idem, scope, claim, records.length > 0, result);
      return result;
    }, transactionOptions);
  }
}

async function writeOutbox(tx: Tx, actor: AuditActor, records: AuditRecord[]): Promise<void> {
  const data: Prisma.AuditOutboxCreateManyInput[] = [];
  for (const r of records) {
    let projectId = r.projectId ?? null;
    if (!projectId && r.projectOf) {
      const rows = await tx.$queryRaw<{ project_id: string }[]>(
        Prisma.sql`${PROJECT_OF[r.projectOf.kind]}(${[r.projectOf.id]}::uuid[])`,
      );
      projectId = rows[0]?.project_id ?? null;
    }
    data.push({
      actorId: actor.actorId,
      actorKind: actor.actorKind,
      requestId: actor.requestId,
      action: r.action,
      entityType: r.entityType,
      entityId: r.entityId,
      projectId,
      changeDigest: changeDigest(r.change),
      summary: auditSummary(r.change) as Prisma.InputJsonObject,
    });
  }
  await tx.auditOutbox.createMany({ data });
}
