/**
 * The retention of metric points against real chdb: LAB_METRICS_RETENTION_DAYS
 * becomes experiment_metrics' TTL at start (migrate), only when it changed;
 * 0 removes the TTL and old points stay; a shorter retention drops the parts
 * it no longer keeps. One chdb engine per process: every store here shares one
 * client on one temp folder, as a restarted service would find it.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '@lab/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClickHouseClient, createClickHouse } from './clickhouseClient';
import { MetricsStore } from './metricsStore';
import { currentTtl } from './retention';
import type { MetricRow } from './types';

const dataDir = mkdtempSync(path.join(tmpdir(), 'metrics-retention-'));
const config = loadConfig({ LAB_DATA_DIR: dataDir, CLICKHOUSE_DATABASE: 'lab_retention' });
const options = { database: 'lab_retention', cluster: undefined };
const DAY = 86_400_000;
let client: ClickHouseClient;

/** The store a service started with this retention would open. */
const storeWith = (retentionDays: number) => new MetricsStore(client, 'chdb', { ...options, retentionDays });

async function mutationsPending(): Promise<number> {
  const result = await client.query({
    query: `SELECT count() AS n FROM system.mutations WHERE database = {db:String} AND NOT is_done`,
    query_params: { db: options.database },
    format: 'JSONEachRow',
  });
  return Number((await result.json<{ n: string }>())[0]?.n);
}

async function mutationsDone(): Promise<void> {
  for (let i = 0; i < 300 && (await mutationsPending()) > 0; i++) await new Promise((r) => setTimeout(r, 100));
}

async function stepsOf(runId: string): Promise<number[]> {
  const rows = await storeWith(0).ingest.rowsOfRun(runId);
  return rows.map((r) => Number(r.step));
}

beforeAll(async () => {
  client = await createClickHouse(config);
});

afterAll(async () => {
  await client?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('LAB_METRICS_RETENTION_DAYS', () => {
  it('defaults to the architecture year, 365 days, set at the first start and left alone after', async () => {
    expect(config.clickhouse.metricsRetentionDays).toBe(365);
    const first = await storeWith(365).migrate();
    expect(first.retention).toEqual({
      from: 'toDateTime(timestamp) + toIntervalYear(1)',
      to: 'toDateTime(timestamp) + toIntervalDay(365)',
      changed: true,
    });
    await mutationsDone();
    const before = await mutationsPending();
    const again = await storeWith(365).migrate();
    expect(again.retention.changed).toBe(false);
    expect(again.applied).toEqual([]);
    expect(await mutationsPending()).toBe(before);
  });

  it('0 removes the TTL: points of any age are kept, merges included', async () => {
    const store = storeWith(0);
    expect((await store.migrate()).retention).toMatchObject({ to: null, changed: true });
    expect(await currentTtl(client, options)).toBeNull();
    const runId = randomUUID();
    const now = Date.now();
    const rows: MetricRow[] = [20 * 365, 400, 60, 1].map((days, step) => ({
      runId,
      experimentId: randomUUID(),
      name: 'loss',
      step,
      value: days,
      timestampMs: now - days * DAY,
      tags: {},
    }));
    await store.ingest.insert(rows, undefined);
    await client.command({ query: `OPTIMIZE TABLE ${options.database}.experiment_metrics FINAL` });
    expect(await stepsOf(runId)).toEqual([0, 1, 2, 3]);

    // Shorter again: the parts older than 30 days go (whole parts: each month is its own partition).
    expect((await storeWith(30).migrate()).retention).toMatchObject({
      from: null,
      to: 'toDateTime(timestamp) + toIntervalDay(30)',
      changed: true,
    });
    await mutationsDone();
    await client.command({ query: `OPTIMIZE TABLE ${options.database}.experiment_metrics FINAL` });
    expect(await stepsOf(runId)).toEqual([3]);
  });

  it('refuses a retention that is not a whole number of days from 0 to 3650', () => {
    for (const bad of ['-1', '3651', '1.5', 'forever']) {
      expect(() => loadConfig({ LAB_METRICS_RETENTION_DAYS: bad })).toThrow(/LAB_METRICS_RETENTION_DAYS/);
    }
    expect(loadConfig({ LAB_METRICS_RETENTION_DAYS: '0' }).clickhouse.metricsRetentionDays).toBe(0);
  });
});
