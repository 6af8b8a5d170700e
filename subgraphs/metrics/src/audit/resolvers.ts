/**
 * Query.auditLog: the registry's audit events from audit_log, newest first,
 * as a Relay connection (keyset cursor over timestamp and event id).
 *
 * Who sees what: admins (and internal services) every event; a project's
 * OWNERs that project's events, so a non-admin must name filter.projectId
 * (asked of the registry: MANAGE on the project). Anything else is FORBIDDEN.
 */
import { labError } from '@lab/shared';
import type { RegistryAccess } from '@lab/shared/internal';
import type { BaseContext } from '@lab/shared/subgraph';
import { isUuid } from '../ingest/validate';
import type { AuditStore } from '../store/auditStore';
import type { AuditCursor, AuditFilter, AuditRow } from '../store/types';

export const DEFAULT_AUDIT_PAGE = 20;
export const MAX_AUDIT_PAGE = 100;

export interface AuditContext extends BaseContext {
  registry: RegistryAccess;
}

interface AuditLogArgs {
  filter?: {
    entityType?: string | null;
    entityId?: string | null;
    actorId?: string | null;
    action?: string | null;
    projectId?: string | null;
    from?: string | null;
    to?: string | null;
  } | null;
  first?: number | null;
  after?: string | null;
}

function instant(value: string | null | undefined, field: string): number | undefined {
  if (value == null) return undefined;
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) throw labError('BAD_USER_INPUT', `${field} must be an ISO 8601 date-time`, { field });
  return ms;
}

const some = (v: string | null | undefined) => (v == null || v === '' ? undefined : v);

function encodeCursor(row: AuditRow): string {
  return Buffer.from(JSON.stringify([Date.parse(`${row.timestamp}Z`), row.event_id])).toString('base64url');
}

function decodeCursor(after: string | null | undefined): AuditCursor | undefined {
  if (after == null) return undefined;
  try {
    const [ms, id] = JSON.parse(Buffer.from(after, 'base64url').toString('utf8')) as [unknown, unknown];
    if (typeof ms === 'number' && Number.isFinite(ms) && typeof id === 'string' && isUuid(id)) return { ms, id };
  } catch {}
  throw labError('BAD_USER_INPUT', 'after is not a cursor this list gave out', { field: 'after' });
}

function toNode(row: AuditRow) {
  let summary: unknown = {};
  try {
    summary = JSON.parse(row.payload);
  } catch {}
  return {
    id: row.event_id,
    occurredAt: new Date(`${row.timestamp}Z`).toISOString(),
    actorId: row.actor_id,
    actorKind: row.actor_kind,
    requestId: row.request_id,
    action: row.action,
    entityType: row.entity_type,
    entityId: row.entity_id,
    projectId: row.project_id === '' ? null : row.project_id,
    changeDigest: row.change_digest,
    summary,
  };
}

export async function auditLog(store: AuditStore, args: AuditLogArgs, ctx: AuditContext) {
  const first = args.first ?? DEFAULT_AUDIT_PAGE;
  if (!Number.isInteger(first) || first < 0 || first > MAX_AUDIT_PAGE) {
    throw labError('BAD_USER_INPUT', `first must be between 0 and ${MAX_AUDIT_PAGE}`, { field: 'first' });
  }
  const f = args.filter ?? {};
  const projectId = some(f.projectId)?.toLowerCase();
  if (projectId !== undefined && !isUuid(projectId)) {
    throw labError('BAD_USER_INPUT', 'filter.projectId must be a UUID', { field: 'filter.projectId' });
  }
  const superuser = ctx.caller.kind === 'admin' || ctx.caller.kind === 'service';
  if (!superuser) {
    if (projectId === undefined) {
      throw labError('FORBIDDEN', 'The whole audit log is for admins: give filter.projectId of a project you own');
    }
    if (!(await ctx.registry.canManage('PROJECT', projectId))) {
      throw labError('FORBIDDEN', `Only OWNERs of project ${projectId} (and admins) may read its audit log`);
    }
  }
  const filter: AuditFilter = {
    entityType: some(f.entityType),
    entityId: some(f.entityId),
    actorId: some(f.actorId),
    action: some(f.action),
    projectId,
    fromMs: instant(f.from, 'filter.from'),
    toMs: instant(f.to, 'filter.to'),
  };
  const cursor = decodeCursor(args.after);
  const rows = first === 0 ? [] : await store.page(filter, cursor, first + 1);
  const page = rows.slice(0, first);
  const edges = page.map((row) => ({ node: toNode(row), cursor: encodeCursor(row) }));
  let total: Promise<number> | undefined;
  return {
    edges,
    pageInfo: {
      hasNextPage: rows.length > first,
      hasPreviousPage: cursor !== undefined,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
    totalCount: () => {
      total ??= store.count(filter);
      return total;
    },
  };
}
