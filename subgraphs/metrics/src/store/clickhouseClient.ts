/**
 * The ClickHouse client of the metrics store: a ClickHouse server when CLICKHOUSE_URL is set,
 * otherwise the embedded engine (chdb) in this process, plugged into the same
 * @clickhouse/client API, so store code is identical for both.
 * chdb allows one engine per process: create one client per process.
 */
import { mkdirSync } from 'node:fs';
import { type ClickHouseClient, createClient } from '@clickhouse/client';
import { type Config, checkStoreConfig } from '@lab/shared';

export type { ClickHouseClient };

/** `embeddedStores: false` (LAB_EMBEDDED_STORES=false) without a url is refused (ConfigError) instead of opening chdb. */
export async function createClickHouse(
  config: Pick<Config, 'clickhouse'> & Partial<Pick<Config, 'embeddedStores'>>,
): Promise<ClickHouseClient> {
  const ch = config.clickhouse;
  if (config.embeddedStores === false) checkStoreConfig({ embeddedStores: false, clickhouse: ch }, 'clickhouse');
  if (ch.url) {
    return createClient({
      url: ch.url,
      username: ch.user,
      password: ch.password,
      request_timeout: 60_000,
      clickhouse_settings: { date_time_input_format: 'best_effort' },
    });
  }
  mkdirSync(ch.embeddedPath, { recursive: true });
  const { createChdbConnection } = await import('chdb/connection');
  // biome-ignore lint/suspicious/noExplicitAny: chdb's connection type is structurally the client's
  return createClient({ connection: createChdbConnection({ path: ch.embeddedPath }) as any });
}
