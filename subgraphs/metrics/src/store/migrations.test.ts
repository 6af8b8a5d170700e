import { describe, expect, it } from 'vitest';
import { engine, onCluster } from './ddl';
import { assertOrdered, checksumOf } from './migrate';
import { bootstrapStatements, MIGRATIONS, type Migration } from './migrations';
import { deletePointsStatement } from './runPointsStore';

const single = { database: 'lab' };
const cluster = { database: 'lab', cluster: 'lab-cluster' };
const sharded = { database: 'lab', cluster: 'lab-cluster', sharded: true };
const all = (o: { database: string; cluster?: string; sharded?: boolean }) => [
  ...bootstrapStatements(o),
  ...MIGRATIONS.flatMap((m) => m.statements(o)),
];

describe('migration SQL, single node', () => {
  it('uses plain MergeTree engines and no ON CLUSTER', () => {
    const sql = all(single).join('\n');
    expect(sql).not.toContain('ON CLUSTER');
    expect(sql).not.toContain('Replicated');
    expect(sql).toContain('ENGINE = MergeTree\n');
    expect(sql).toContain('ENGINE = ReplacingMergeTree\n');
  });

  it('is idempotent by construction: every statement is IF NOT EXISTS (tables, columns, indexes, projections), a MODIFY SETTING or a MATERIALIZE', () => {
    for (const statement of all(single)) {
      expect(statement).toMatch(
        /^CREATE (DATABASE|TABLE) IF NOT EXISTS |^ALTER TABLE `lab`\.`\w+` (MODIFY SETTING |ADD (PROJECTION|COLUMN|INDEX) IF NOT EXISTS |MATERIALIZE PROJECTION )/,
      );
    }
  });

  it('creates the database first, then the bookkeeping table', () => {
    const [db, table] = bootstrapStatements(single);
    expect(db).toBe('CREATE DATABASE IF NOT EXISTS `lab`');
    expect(table).toContain('CREATE TABLE IF NOT EXISTS `lab`.`schema_migrations` (');
  });
});

describe('migration SQL, cluster mode', () => {
  const statements = all(cluster);

  it('runs every statement ON CLUSTER', () => {
    expect(statements[0]).toBe('CREATE DATABASE IF NOT EXISTS `lab` ON CLUSTER `lab-cluster`');
    for (const statement of statements) expect(statement).toContain(' ON CLUSTER `lab-cluster`');
    for (const statement of statements.slice(1)) {
      expect(statement).toMatch(
        /^CREATE TABLE IF NOT EXISTS `lab`\.`\w+` ON CLUSTER `lab-cluster` \(|^ALTER TABLE `lab`\.`\w+` ON CLUSTER `lab-cluster` (MODIFY SETTING |ADD (PROJECTION|COLUMN|INDEX) IF NOT EXISTS |MATERIALIZE PROJECTION )/,
      );
    }
  });

  it('replicates data tables per shard', () => {
    const metrics = statements.find((s) => s.includes('`experiment_metrics`'));
    expect(metrics).toContain(
      "ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')\nPARTITION BY toYYYYMM(timestamp)",
    );
    const audit = statements.find((s) => s.includes('`audit_log`'));
    expect(audit).toContain(
      "ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')",
    );
  });

  it('replicates schema_migrations to every node, whatever its shard', () => {
    expect(statements[1]).toContain(
      "ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/all/{database}/{table}', '{replica}')",
    );
  });

  it('keeps every engine argument after the replication ones', () => {
    expect(engine(cluster, 'ReplacingMergeTree', ['updated_at'])).toBe(
      "ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}', updated_at)",
    );
    expect(engine(single, 'ReplacingMergeTree', ['updated_at'])).toBe('ReplacingMergeTree(updated_at)');
    expect(onCluster({ database: 'lab', cluster: 'we`ird' })).toBe(' ON CLUSTER `we\\`ird`');
  });
});

describe('migration SQL, sharded layout', () => {
  const statements = all(sharded);

  it('stores points in experiment_metrics_local, replicated per shard, behind a Distributed experiment_metrics sharded by run', () => {
    const local = statements.find((s) => s.startsWith('CREATE TABLE IF NOT EXISTS `lab`.`experiment_metrics_local`'));
    expect(local).toContain(
      "ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')\nPARTITION BY toYYYYMM(timestamp)",
    );
    const distributed = statements.find((s) => s.startsWith('CREATE TABLE IF NOT EXISTS `lab`.`experiment_metrics` '));
    expect(distributed).toBe(
      'CREATE TABLE IF NOT EXISTS `lab`.`experiment_metrics` ON CLUSTER `lab-cluster` AS `lab`.`experiment_metrics_local`\n' +
        'ENGINE = Distributed(`lab-cluster`, `lab`, `experiment_metrics_local`, cityHash64(run_id))',
    );
    expect(statements.indexOf(distributed as string)).toBeGreaterThan(statements.indexOf(local as string));
  });

  it('alters (settings, projections) the local table ON CLUSTER, never the Distributed one', () => {
    const alters = statements.filter((s) => s.startsWith('ALTER TABLE') && s.includes('experiment_metrics'));
    expect(alters.length).toBeGreaterThanOrEqual(5);
    for (const s of alters) expect(s).toMatch(/^ALTER TABLE `lab`\.`experiment_metrics_local` ON CLUSTER `lab-cluster` /);
    for (const s of statements) expect(s).toContain(' ON CLUSTER `lab-cluster`');
  });

  it('deletes points ON CLUSTER from the local tables, synchronously on every replica', () => {
    expect(deletePointsStatement(sharded, { runIds: ['r'] }).sql).toBe(
      'ALTER TABLE `lab`.`experiment_metrics_local` ON CLUSTER `lab-cluster` DELETE WHERE run_id IN {runIds:Array(UUID)} SETTINGS mutations_sync = 2',
    );
    expect(deletePointsStatement(cluster, { experimentId: 'e' }).sql).toBe(
      'ALTER TABLE `lab`.`experiment_metrics` ON CLUSTER `lab-cluster` DELETE WHERE experiment_id = {experimentId:UUID} SETTINGS mutations_sync = 2',
    );
    expect(deletePointsStatement(single, { runIds: ['r'] }).sql).not.toContain('ON CLUSTER');
  });

  it('changes nothing for the other layouts (their recorded checksums stay valid); sharded needs a cluster', () => {
    expect(all({ ...single, sharded: true })).toEqual(all(single));
    for (const m of MIGRATIONS) expect(checksumOf(m, { ...single, sharded: true })).toBe(checksumOf(m, single));
    expect(all(single).join('\n')).not.toContain('experiment_metrics_local');
    expect(all(cluster).join('\n')).not.toContain('experiment_metrics_local');
  });
});

describe('migration list', () => {
  it('has increasing versions and distinct checksums per mode', () => {
    expect(() => assertOrdered(MIGRATIONS)).not.toThrow();
    const first = MIGRATIONS[0] as Migration;
    expect(checksumOf(first, single)).toMatch(/^[0-9a-f]{64}$/);
    expect(checksumOf(first, single)).not.toBe(checksumOf(first, cluster));
  });

  it('refuses duplicate or decreasing versions', () => {
    const m = (version: number): Migration => ({ version, name: `m${version}`, statements: () => [] });
    expect(() => assertOrdered([m(1), m(1)])).toThrow(/increasing order/);
    expect(() => assertOrdered([m(2), m(1)])).toThrow(/increasing order/);
    expect(() => assertOrdered([m(0)])).toThrow(/positive integers/);
  });
});
