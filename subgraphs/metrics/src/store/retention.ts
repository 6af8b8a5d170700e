/**
 * The retention of metric points: experiment_metrics' TTL follows the
 * setting LAB_METRICS_RETENTION_DAYS (config.clickhouse.metricsRetentionDays;
 * default 365, the architecture's year; 0 keeps points forever). Applied at
 * start after the migrations, only when the table's TTL differs: `MODIFY TTL
 * toDateTime(timestamp) + INTERVAL n DAY`, or `REMOVE TTL` for 0.
 *
 * A setting rather than a migration: migrations are append-only and the same
 * everywhere, while a retention is each deployment's choice and may change
 * back and forth. Before the first change the table gets
 * materialize_ttl_recalculate_only = 1, so the MATERIALIZE TTL that MODIFY TTL
 * starts only recomputes each part's TTL bounds instead of rewriting its
 * points; with ttl_only_drop_parts (migration 1) expired points then go as
 * whole parts at the next merges, so a shorter retention drops a part once all
 * its points are older (parts are per month: up to a month after the first),
 * and a longer one keeps every part it now covers.
 */
import type { Logger } from '@lab/shared';
import type { ClickHouseClient } from './clickhouseClient';
import { isSharded, METRICS_LOCAL_TABLE, METRICS_TABLE, type MigrationOptions, metricsStorage, onCluster } from './ddl';

/** The TTL expression of a retention as ClickHouse shows it in system.tables, or null for none (0 days). */
export function retentionTtl(days: number): string | null {
  return days === 0 ? null : `toDateTime(timestamp) + toIntervalDay(${days})`;
}

/** The TTL experiment_metrics has now, as system.tables shows it; null without one. */
export async function currentTtl(client: ClickHouseClient, options: MigrationOptions): Promise<string | null> {
  const result = await client.query({
    query: `SELECT engine_full FROM system.tables WHERE database = {database:String} AND name = {table:String}`,
    query_params: { database: options.database, table: isSharded(options) ? METRICS_LOCAL_TABLE : METRICS_TABLE },
    format: 'JSONEachRow',
  });
  const [row] = await result.json<{ engine_full: string }>();
  if (!row) throw new Error(`table ${options.database}.experiment_metrics not found: run the migrations first`);
  return / TTL (.+?)(?: SETTINGS |$)/.exec(row.engine_full)?.[1]?.trim() ?? null;
}

export interface RetentionChange {
  /** The table's TTL before, as ClickHouse showed it (null: none). */
  from: string | null;
  /** The TTL it has now. */
  to: string | null;
  changed: boolean;
}

/** Sets experiment_metrics' TTL to the retention when it differs; idempotent. */
export async function applyRetention(
  client: ClickHouseClient,
  options: MigrationOptions & { log?: Logger | undefined },
  days: number,
): Promise<RetentionChange> {
  if (!Number.isInteger(days) || days < 0) throw new Error(`retention must be a whole number of days (got ${days})`);
  const from = await currentTtl(client, options);
  const to = retentionTtl(days);
  if (from === to) return { from, to, changed: false };
  const table = `${metricsStorage(options)}${onCluster(options)}`;
  options.log?.info({ from, to, days }, 'changing the retention of metric points');
  await client.command({ query: `ALTER TABLE ${table} MODIFY SETTING materialize_ttl_recalculate_only = 1` });
  await client.command({
    query:
      to === null
        ? `ALTER TABLE ${table} REMOVE TTL`
        : `ALTER TABLE ${table} MODIFY TTL toDateTime(timestamp) + INTERVAL ${days} DAY`,
  });
  return { from, to, changed: true };
}
