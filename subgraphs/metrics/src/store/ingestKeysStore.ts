/**
 * The idempotency keys of metric ingestion (the ingest_keys table, migration 6):
 * per caller, ingest path, key and chunk, the digest of the points the client
 * sent, recorded once their insert succeeded and kept INGEST_KEY_HOURS.
 *
 * A retry finds its chunks here and is answered without inserting again, so
 * the rows stored are the first attempt's (with its timestamps, where the
 * server filled "now"); the same key with other points is a CONFLICT. Between
 * the insert and its record (a crash, two attempts at once) the insert's
 * deduplication token, made of the same digest, still stores the points once.
 */
import { TableStore } from './tableStore';
import type { IngestKeyRecord, IngestSource } from './types';

/** How long a key is remembered. */
export const INGEST_KEY_HOURS = 24;

export class IngestKeysStore extends TableStore {
  protected readonly tableName = 'ingest_keys';

  /** The chunks stored under a key in the last INGEST_KEY_HOURS, by chunk index (the first record of each). */
  async recorded(callerId: string, source: IngestSource, key: string): Promise<Map<number, IngestKeyRecord>> {
    const result = await this.client.query({
      query: `SELECT chunk, argMin(digest, recorded_at) AS digest, argMin(rows, recorded_at) AS rows FROM ${this.table}
WHERE caller_id = {caller:String} AND source = {source:String} AND idem_key = {key:String}
  AND recorded_at > now64(3) - INTERVAL {hours:UInt32} HOUR
GROUP BY chunk`,
      query_params: { caller: callerId, source, key, hours: INGEST_KEY_HOURS },
      format: 'JSONEachRow',
    });
    const rows = await result.json<{ chunk: number | string; digest: string; rows: number | string }>();
    return new Map(rows.map((r) => [Number(r.chunk), { digest: r.digest, rows: Number(r.rows) }]));
  }

  /** Records a chunk stored under a key. */
  async record(callerId: string, source: IngestSource, key: string, chunk: number, record: IngestKeyRecord): Promise<void> {
    await this.client.insert({
      table: this.table,
      format: 'JSONCompactEachRow',
      columns: ['caller_id', 'source', 'idem_key', 'chunk', 'digest', 'rows'],
      values: [[callerId, source, key, chunk, record.digest, record.rows]],
      // Always a token: chdb applies settings session-wide, and another insert's must not linger.
      clickhouse_settings: {
        insert_deduplicate: 1,
        insert_deduplication_token: `ingest_keys:${source}:${callerId}:${key}:${chunk}:${record.digest}`,
      },
    });
  }
}
