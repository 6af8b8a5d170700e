/**
 * The audit_log table (migrations 1 and 5): the registry's audit events, as
 * its relay ships them in batches. A batch is one insert carrying the batch
 * id (a hash of its event ids) as insert_deduplication_token; before it, the
 * event ids audit_log already holds are left out, so a batch re-sent after a
 * lost answer, or re-formed with other events around it, stores each event
 * once. ReplacingMergeTree on (entity_type, entity_id, event_id) is the last
 * net: reads use FINAL.
 */
import type { AuditEvent } from '@lab/shared';
import { clickhouseTime, TableStore } from './tableStore';
import type { AuditCursor, AuditFilter, AuditRow } from './types';

const COLUMNS = [
  'timestamp',
  'event_id',
  'request_id',
  'actor_id',
  'actor_kind',
  'action',
  'entity_type',
  'entity_id',
  'project_id',
  'change_digest',
  'payload',
] as const;

export class AuditStore extends TableStore {
  protected readonly tableName = 'audit_log';

  /** Ids of these events audit_log holds already (looked up within the batch's time span). */
  async existing(events: readonly AuditEvent[]): Promise<Set<string>> {
    if (events.length === 0) return new Set();
    const times = events.map((e) => e.occurredAtMs);
    const result = await this.client.query({
      query: `SELECT DISTINCT toString(event_id) AS id FROM ${this.table}
        WHERE timestamp BETWEEN fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND fromUnixTimestamp64Milli({to:Int64}, 'UTC')
          AND event_id IN {ids:Array(UUID)}`,
      query_params: { from: Math.min(...times), to: Math.max(...times), ids: events.map((e) => e.id) },
      format: 'JSONEachRow',
    });
    return new Set((await result.json<{ id: string }>()).map((r) => r.id));
  }

  /** Stores the events of one batch that are not stored yet, as one insert; returns how many were new. */
  async insert(events: readonly AuditEvent[], batchId: string): Promise<number> {
    const stored = await this.existing(events);
    const fresh = events.filter((e) => !stored.has(e.id.toLowerCase()));
    if (fresh.length === 0) return 0;
    await this.client.insert({
      table: this.table,
      format: 'JSONCompactEachRow',
      columns: [...COLUMNS],
      values: fresh.map((e) => [
        clickhouseTime(e.occurredAtMs),
        e.id,
        e.requestId,
        e.actorId,
        e.actorKind,
        e.action,
        e.entityType,
        e.entityId,
        e.projectId,
        e.changeDigest,
        JSON.stringify(e.summary),
      ]),
      clickhouse_settings: { insert_deduplicate: 1, insert_deduplication_token: `audit:${batchId}` },
    });
    return fresh.length;
  }

  private where(filter: AuditFilter): { sql: string; params: Record<string, unknown> } {
    const c: string[] = [];
    const params: Record<string, unknown> = {};
    const eq = (column: string, name: string, value: string | undefined) => {
      if (value === undefined) return;
      c.push(`${column} = {${name}:String}`);
      params[name] = value;
    };
    eq('entity_type', 'entityType', filter.entityType);
    eq('entity_id', 'entityId', filter.entityId);
    eq('actor_id', 'actorId', filter.actorId);
    eq('action', 'action', filter.action);
    eq('project_id', 'projectId', filter.projectId);
    if (filter.fromMs !== undefined) {
      c.push(`timestamp >= fromUnixTimestamp64Milli({fromMs:Int64}, 'UTC')`);
      params.fromMs = filter.fromMs;
    }
    if (filter.toMs !== undefined) {
      c.push(`timestamp < fromUnixTimestamp64Milli({toMs:Int64}, 'UTC')`);
      params.toMs = filter.toMs;
    }
    return { sql: c.length > 0 ? c.join(' AND ') : '1', params };
  }

  /** Up to `limit` events, newest first, after the cursor. */
  async page(filter: AuditFilter, cursor: AuditCursor | undefined, limit: number): Promise<AuditRow[]> {
    const { sql, params } = this.where(filter);
    const after = cursor
      ? ` AND (timestamp, event_id) < (fromUnixTimestamp64Milli({cursorMs:Int64}, 'UTC'), toUUID({cursorId:String}))`
      : '';
    const result = await this.client.query({
      query: `SELECT ${COLUMNS.join(', ')} FROM ${this.table} FINAL WHERE ${sql}${after}
        ORDER BY timestamp DESC, event_id DESC LIMIT {limit:UInt32}`,
      query_params: { ...params, ...(cursor ? { cursorMs: cursor.ms, cursorId: cursor.id } : {}), limit },
      format: 'JSONEachRow',
    });
    return result.json<AuditRow>();
  }

  async count(filter: AuditFilter): Promise<number> {
    const { sql, params } = this.where(filter);
    const result = await this.client.query({
      query: `SELECT count() AS n FROM ${this.table} FINAL WHERE ${sql}`,
      query_params: params,
      format: 'JSONEachRow',
    });
    const [row] = await result.json<{ n: string | number }>();
    return Number(row?.n ?? 0);
  }

  /** Rows of some events as stored, without FINAL: copies show (tests count them). */
  async rawCopies(eventIds: readonly string[]): Promise<number> {
    const result = await this.client.query({
      query: `SELECT count() AS n FROM ${this.table} WHERE event_id IN {ids:Array(UUID)}`,
      query_params: { ids: eventIds },
      format: 'JSONEachRow',
    });
    const [row] = await result.json<{ n: string | number }>();
    return Number(row?.n ?? 0);
  }
}
