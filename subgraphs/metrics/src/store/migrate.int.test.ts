/**
 * Migrations against real chdb. chdb binds one engine and one data path per
 * process; vitest runs each test file in its own process, so this file owns
 * one fresh temp dir and one client for all its tests.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '@lab/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClickHouseClient, createClickHouse } from './clickhouseClient';
import { qualified } from './ddl';
import { type AppliedMigration, migrate, readApplied } from './migrate';
import { bootstrapStatements, MIGRATIONS, type Migration } from './migrations';
import { deletePointsStatement } from './runPointsStore';

const dataDir = mkdtempSync(path.join(tmpdir(), 'metrics-migrate-'));
const config = loadConfig({ LAB_DATA_DIR: dataDir, CLICKHOUSE_DATABASE: 'lab_test' });
const options = { database: 'lab_test' };
let client: ClickHouseClient;

async function rows<T>(query: string, query_params: Record<string, unknown> = {}): Promise<T[]> {
  return (await client.query({ query, query_params, format: 'JSONEachRow' })).json<T>();
}

const columnsOf = async (table: string) =>
  rows<{ name: string; type: string }>(
    'SELECT name, type FROM system.columns WHERE database = {db:String} AND table = {table:String} ORDER BY position',
    { db: options.database, table },
  );

beforeAll(async () => {
  client = await createClickHouse(config);
});

afterAll(async () => {
  await client?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('ClickHouse migrations on chdb', () => {
  let first: AppliedMigration[];

  it('apply on a fresh database and are recorded', async () => {
    const result = await migrate(client, options);
    expect(result).toEqual({ applied: MIGRATIONS.map((m) => m.version), skipped: [] });
    first = await readApplied(client, options);
    expect(first.map((r) => [r.version, r.name])).toEqual(MIGRATIONS.map((m) => [m.version, m.name]));
    for (const row of first) expect(row.checksum).toMatch(/^[0-9a-f]{64}$/);
  });

  it('are a no-op the second time: schema_migrations rows unchanged', async () => {
    const result = await migrate(client, options);
    expect(result).toEqual({ applied: [], skipped: MIGRATIONS.map((m) => m.version) });
    expect(await readApplied(client, options)).toEqual(first);
    const [count] = await rows<{ n: string }>(`SELECT count() AS n FROM ${qualified(options, 'schema_migrations')}`);
    expect(Number(count?.n)).toBe(MIGRATIONS.length);
  });

  it('converge when two runners race on a fresh database', async () => {
    const race = { database: 'lab_race' };
    const results = await Promise.all([migrate(client, race), migrate(client, race)]);
    const applied = new Set(results.flatMap((r) => r.applied));
    expect([...applied].sort()).toEqual(MIGRATIONS.map((m) => m.version));
    expect((await readApplied(client, race)).map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
    expect(await migrate(client, race)).toEqual({ applied: [], skipped: MIGRATIONS.map((m) => m.version) });
  });

  it('create the tables with the expected columns', async () => {
    expect(await columnsOf('experiment_metrics')).toEqual([
      { name: 'timestamp', type: "DateTime64(3, 'UTC')" },
      { name: 'experiment_id', type: 'UUID' },
      { name: 'run_id', type: 'UUID' },
      { name: 'metric_name', type: 'LowCardinality(String)' },
      { name: 'step', type: 'UInt64' },
      { name: 'metric_value', type: 'Float64' },
      { name: 'tags', type: 'Map(LowCardinality(String), String)' },
    ]);
    expect((await columnsOf('api_usage')).map((c) => c.name)).toEqual([
      'timestamp',
      'request_id',
      'caller_id',
      'operation_name',
      'operation_type',
      'duration_ms',
      'status',
      'error_code',
    ]);
    expect((await columnsOf('audit_log')).map((c) => `${c.name} ${c.type}`)).toEqual([
      "timestamp DateTime64(3, 'UTC')",
      'event_id UUID',
      'request_id String',
      'actor_id String',
      'actor_kind LowCardinality(String)',
      'action LowCardinality(String)',
      'entity_type LowCardinality(String)',
      'entity_id String',
      'project_id String',
      'change_digest String',
      'payload String',
    ]);
    expect((await columnsOf('schema_migrations')).map((c) => c.name)).toEqual(['version', 'name', 'checksum', 'applied_at']);
  });

  it('create the engines, keys and TTLs intended', async () => {
    const tables = await rows<{ name: string; engine: string; sorting_key: string; partition_key: string; create: string }>(
      `SELECT name, engine, sorting_key, partition_key, create_table_query AS create
       FROM system.tables WHERE database = {db:String} ORDER BY name`,
      { db: options.database },
    );
    const byName = Object.fromEntries(tables.map((t) => [t.name, t]));
    expect(byName.experiment_metrics?.engine).toBe('MergeTree');
    expect(byName.experiment_metrics?.sorting_key).toBe('run_id, metric_name, step, timestamp');
    expect(byName.experiment_metrics?.partition_key).toBe('toYYYYMM(timestamp)');
    expect(byName.experiment_metrics?.create).toContain('TTL toDateTime(timestamp) + toIntervalYear(1)');
    expect(byName.api_usage?.create).toContain('TTL toDateTime(timestamp) + toIntervalDay(90)');
    expect(byName.audit_log?.engine).toBe('ReplacingMergeTree');
    expect(byName.audit_log?.create).not.toContain('TTL');
    expect(byName.schema_migrations?.engine).toBe('ReplacingMergeTree');
  });

  it('collapse a re-shipped audit event', async () => {
    const event = {
      timestamp: '2025-01-02 03:04:05.678',
      event_id: '6f1c5a8e-3c1b-4c55-9a0e-2f0d1d2a3b4c',
      request_id: 'req-1',
      actor_id: 'user-1',
      action: 'createDataset',
      entity_type: 'Dataset',
      entity_id: 'ds-1',
      change_digest: 'abc',
      payload: '{}',
    };
    const table = qualified(options, 'audit_log');
    for (let i = 0; i < 2; i++) await client.insert({ table, values: [event], format: 'JSONEachRow' });
    const [final] = await rows<{ n: string }>(`SELECT count() AS n FROM ${table} FINAL`);
    expect(Number(final?.n)).toBe(1);
  });

  it('refuse a released migration whose SQL changed', async () => {
    const edited: Migration[] = MIGRATIONS.map((m) => ({ ...m, statements: (o) => [...m.statements(o), 'SELECT 1'] }));
    await expect(migrate(client, options, edited)).rejects.toThrow(/changed after it was applied/);
  });

  it('generate cluster and sharded SQL that the ClickHouse parser accepts, deletions included', async () => {
    for (const layout of [
      { database: 'lab_test', cluster: 'lab-cluster' },
      { database: 'lab_test', cluster: 'lab-cluster', sharded: true },
    ]) {
      const statements = [
        ...bootstrapStatements(layout),
        ...MIGRATIONS.flatMap((m) => m.statements(layout)),
        deletePointsStatement(layout, { runIds: [] }).sql,
        deletePointsStatement(layout, { experimentId: '' }).sql,
      ];
      for (const statement of statements) {
        const [parsed] = await rows<{ sql: string }>('SELECT formatQuerySingleLine({q:String}) AS sql', { q: statement });
        expect(parsed?.sql).toContain('ON CLUSTER `lab-cluster`');
      }
    }
  });
});
