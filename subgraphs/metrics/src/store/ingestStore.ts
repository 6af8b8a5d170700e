/**
 * Inserting metric rows: in large batches (never one insert per point), and
 * exactly once per idempotency token.
 *
 * Format: JSONCompactEachRow, the fastest measured (docs/design/measured-choices.md,
 * Insert format). The body text is written here (encodeRows),
 * not by the client from arrays: names and ids are validated to need no
 * escaping, numbers are finite, the timestamp travels as the string
 * "seconds.millis" (read the same way with basic and best_effort parsing),
 * only tags go through JSON.stringify. The client's insert() takes JSON formats
 * as values to serialize only, so the text goes as the body of an
 * `INSERT ... FORMAT JSONCompactEachRow` through exec().
 *
 * Exactly once: a key's chunks are recorded once stored (keys, IngestKeysStore),
 * and a retry found there is not inserted again. Every chunk also carries an
 * `insert_deduplication_token` (the digest of what the client sent); a
 * retried chunk with the same token is dropped by ClickHouse (Replicated
 * tables dedupe by default; single-node MergeTree needs
 * non_replicated_deduplication_window, set by migration 2). A token is always
 * sent: chdb applies settings as session-wide SETs (a previous token would
 * linger), and with the window set, a block without a token is deduplicated by
 * its content hash — so batches sent without an idempotency key get a random
 * token, which means "no deduplication".
 */
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { ClickHouseClient } from './clickhouseClient';
import { qualified } from './ddl';
import { IngestKeysStore } from './ingestKeysStore';
import type { EncodedRows, MetricRow } from './types';

/** Largest insert; callers send chunks of at most this many rows. */
export const MAX_INSERT_ROWS = 100_000;

const COLUMNS = 'timestamp, experiment_id, run_id, metric_name, step, metric_value, tags';

/** DateTime64(3) as "seconds.millis" text (ms is a validated, non-negative epoch). */
function clickhouseTime(ms: number): string {
  const millis = ms % 1000;
  return `${(ms - millis) / 1000}.${millis < 10 ? '00' : millis < 100 ? '0' : ''}${millis}`;
}

function encodeTags(tags: Record<string, string>): string {
  for (const _ in tags) return JSON.stringify(tags);
  return '{}';
}

/**
 * The JSONCompactEachRow text of rows, in COLUMNS order. Relies on what
 * validation guarantees: name matches METRIC_NAME and ids are UUIDs (no
 * character needs escaping), value is finite, step a safe integer.
 */
export function encodeRows(rows: readonly MetricRow[]): string {
  let body = '';
  for (const r of rows) {
    body += `["${clickhouseTime(r.timestampMs)}","${r.experimentId}","${r.runId}","${r.name}",${r.step},${r.value},${encodeTags(r.tags)}]\n`;
  }
  return body;
}

export function encode(rows: readonly MetricRow[]): EncodedRows {
  return { rows, body: encodeRows(rows) };
}

export class IngestStore {
  /** The idempotency keys: what each key stored, so a retry is answered without a second insert. */
  readonly keys: IngestKeysStore;

  /**
   * Called after each insert ClickHouse accepted (not for a block it reports
   * deduplicated), with its rows: live streams listen here, so both ingest
   * paths feed them.
   */
  onInserted: ((rows: readonly MetricRow[]) => void) | undefined;

  constructor(
    private readonly client: ClickHouseClient,
    private readonly database: string,
    /**
     * Whether the insert summary's written_rows can be trusted to tell a
     * deduplicated block (0): true for a ClickHouse server; chdb reports 0 for
     * every insert, so there duplicates are unknown (null).
     */
    private readonly reportsWrites: boolean,
    /** Days points are kept (LAB_METRICS_RETENTION_DAYS; 0: forever): ingest refuses older timestamps. */
    readonly retentionDays: number,
    /**
     * Sharded layout (ddl.ts): the insert goes through the Distributed table in
     * the foreground, so it returns once the run's shard stored the block, under
     * the same deduplication token; written rows are then not told.
     */
    private readonly sharded = false,
  ) {
    this.keys = new IngestKeysStore(client, database);
  }

  /**
   * Inserts rows (at most MAX_INSERT_ROWS) as one block, given as rows or
   * already encoded (encode()). `token` deduplicates a retry; undefined means
   * none (a random token is sent). Returns the rows ClickHouse reports written
   * (0: deduplicated), when it can tell. onInserted gets the rows.
   */
  async insert(batch: readonly MetricRow[] | EncodedRows, token: string | undefined): Promise<{ written: number | undefined }> {
    const { rows, body } = 'body' in batch ? batch : encode(batch);
    if (rows.length === 0) return { written: 0 };
    if (rows.length > MAX_INSERT_ROWS) throw new Error(`insert of ${rows.length} rows exceeds ${MAX_INSERT_ROWS}`);
    const result = await this.client.exec({
      query: `INSERT INTO ${qualified({ database: this.database }, 'experiment_metrics')} (${COLUMNS}) FORMAT JSONCompactEachRow`,
      values: Readable.from([body]),
      clickhouse_settings: {
        insert_deduplicate: 1,
        insert_deduplication_token: token ?? `none:${randomUUID()}`,
        // Partitions are months: imported history may span more than the default 100 in one block.
        max_partitions_per_insert_block: '0',
        ...(this.sharded ? { distributed_foreground_insert: 1 } : {}),
      },
    });
    result.stream.destroy(); // an INSERT answers nothing
    const reported = Number(result.summary?.written_rows);
    const written = this.reportsWrites && !this.sharded && Number.isFinite(reported) ? reported : undefined;
    if (written !== 0) this.onInserted?.(rows);
    return { written };
  }

  /** Rows of a run (tests and checks). */
  async countRun(runId: string): Promise<number> {
    const result = await this.client.query({
      query: `SELECT count() AS n FROM ${qualified({ database: this.database }, 'experiment_metrics')} WHERE run_id = {runId:UUID}`,
      query_params: { runId },
      format: 'JSONEachRow',
    });
    const [row] = await result.json<{ n: string }>();
    return Number(row?.n ?? 0);
  }

  /** A run's rows in (metric, step) order (tests and checks). */
  async rowsOfRun(
    runId: string,
    limit = 1000,
  ): Promise<
    {
      timestamp: string;
      experiment_id: string;
      metric_name: string;
      step: string | number;
      metric_value: number;
      tags: Record<string, string>;
    }[]
  > {
    const result = await this.client.query({
      query: `SELECT timestamp, experiment_id, metric_name, step, metric_value, tags FROM ${qualified({ database: this.database }, 'experiment_metrics')}
WHERE run_id = {runId:UUID} ORDER BY metric_name, step LIMIT {limit:UInt32}`,
      query_params: { runId, limit },
      format: 'JSONEachRow',
    });
    return result.json();
  }
}
