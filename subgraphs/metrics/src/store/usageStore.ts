/**
 * The api_usage table (migration 1): one row per GraphQL operation through the
 * gateway, written in the batches the gateway sends. A batch carries an id the
 * gateway keeps across its retries; it is the insert_deduplication_token, so a
 * retried batch is stored once (Replicated tables deduplicate by default, a
 * single-node MergeTree within the window migration 4 sets). A token is always sent:
 * chdb applies settings session-wide, and another insert's token must not linger.
 */
import type { ApiUsageRecord } from '@lab/shared';
import { clickhouseTime, TableStore } from './tableStore';

const COLUMNS = [
  'timestamp',
  'request_id',
  'caller_id',
  'operation_name',
  'operation_type',
  'duration_ms',
  'status',
  'error_code',
] as const;

/** A row as read back (tests and checks). */
export interface ApiUsageRow {
  timestamp: string;
  request_id: string;
  caller_id: string;
  operation_name: string;
  operation_type: string;
  duration_ms: number;
  status: string;
  error_code: string;
}

export class UsageStore extends TableStore {
  protected readonly tableName = 'api_usage';

  /** Inserts one batch as one block. */
  async insert(records: readonly ApiUsageRecord[], batchId: string): Promise<void> {
    if (records.length === 0) return;
    await this.client.insert({
      table: this.table,
      format: 'JSONCompactEachRow',
      columns: [...COLUMNS],
      values: records.map((r) => [
        clickhouseTime(r.timestampMs),
        r.requestId,
        r.callerId,
        r.operationName,
        r.operationType,
        r.durationMs,
        r.status,
        r.errorCode,
      ]),
      clickhouse_settings: { insert_deduplicate: 1, insert_deduplication_token: `api_usage:${batchId}` },
    });
  }

  /** The rows of some requests, oldest first (tests and checks). */
  async byRequestIds(requestIds: readonly string[]): Promise<ApiUsageRow[]> {
    const result = await this.client.query({
      query: `SELECT ${COLUMNS.join(', ')} FROM ${this.table} WHERE request_id IN {ids:Array(String)} ORDER BY timestamp`,
      query_params: { ids: requestIds },
      format: 'JSONEachRow',
    });
    return result.json<ApiUsageRow>();
  }
}
