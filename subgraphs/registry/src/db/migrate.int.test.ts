/** The migrator against a real (embedded) PostgreSQL: once, idempotent, concurrent, checksum-guarded, Prisma-compatible. */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from './migrate';
import { listMigrations, MIGRATIONS_DIR } from './migrations';
import { runPrisma } from './prismaCli';
import { startTempPostgres, type TempPostgres } from './tempPostgres';

const log = { info: () => {}, warn: () => {} };
const files = listMigrations();
let server: TempPostgres;
const scratch: string[] = [];

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

/** A copy of the committed migrations that a test may change. */
function copyOfMigrations(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'registry-migrations-'));
  scratch.push(dir);
  cpSync(MIGRATIONS_DIR, dir, { recursive: true });
  return dir;
}

beforeAll(async () => {
  server = await startTempPostgres();
});

afterAll(async () => {
  await server?.stop();
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

describe('migrate', () => {
  it('creates the database, applies every migration once and records it as Prisma does', async () => {
    const url = server.databaseUrl('fresh');
    expect(await migrate(url, log)).toEqual({ applied: files.map((f) => f.name) });
    const rows = await query<{ migration_name: string; checksum: string; finished_at: Date | null; applied_steps_count: number }>(
      url,
      'SELECT * FROM _prisma_migrations ORDER BY migration_name',
    );
    expect(rows.map((r) => [r.migration_name, r.checksum, r.applied_steps_count])).toEqual(
      files.map((f) => [f.name, f.checksum, 1]),
    );
    expect(rows.every((r) => r.finished_at instanceof Date)).toBe(true);
    const tables = await query<{ table_name: string }>(
      url,
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'",
    );
    expect(tables.map((t) => t.table_name)).toContain('users');
  });

  it('changes nothing on a second run', async () => {
    const url = server.databaseUrl('fresh');
    expect(await migrate(url, log)).toEqual({ applied: [] });
    const [count] = await query<{ n: string }>(url, 'SELECT count(*) AS n FROM _prisma_migrations');
    expect(Number(count?.n)).toBe(files.length);
  });

  it('applies each migration exactly once when two processes start at once on a fresh database', async () => {
    const url = server.databaseUrl('concurrent');
    const [a, b] = await Promise.all([migrate(url, log), migrate(url, log)]);
    expect([...(a?.applied ?? []), ...(b?.applied ?? [])].sort()).toEqual(files.map((f) => f.name));
    const rows = await query<{ migration_name: string; n: string }>(
      url,
      'SELECT migration_name, count(*) AS n FROM _prisma_migrations GROUP BY migration_name ORDER BY migration_name',
    );
    expect(rows.map((r) => [r.migration_name, Number(r.n)])).toEqual(files.map((f) => [f.name, 1]));
  });

  it('refuses to start when an applied migration file changed', async () => {
    const url = server.databaseUrl('edited');
    const dir = copyOfMigrations();
    await migrate(url, log, { migrationsDir: dir });
    const first = files[0]?.name as string;
    writeFileSync(path.join(dir, first, 'migration.sql'), `${files[0]?.sql}\n-- edited afterwards\n`);
    await expect(migrate(url, log, { migrationsDir: dir })).rejects.toThrow(
      new RegExp(`Refusing to start: migration ${first} changed after it was applied`),
    );
  });

  it('rolls a failing migration back entirely and records nothing for it', async () => {
    const url = server.databaseUrl('failing');
    const dir = copyOfMigrations();
    const name = '99990101000000_broken';
    cpSync(path.join(dir, files[0]?.name as string), path.join(dir, name), { recursive: true });
    writeFileSync(path.join(dir, name, 'migration.sql'), 'CREATE TABLE half_done (id int);\nSELECT no_such_function();\n');
    await expect(migrate(url, log, { migrationsDir: dir })).rejects.toThrow(/99990101000000_broken failed and was rolled back/);
    const tables = await query<{ n: string }>(
      url,
      "SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'half_done'",
    );
    expect(Number(tables[0]?.n)).toBe(0);
    const recorded = await query<{ migration_name: string }>(url, 'SELECT migration_name FROM _prisma_migrations');
    expect(recorded.map((r) => r.migration_name)).toEqual(files.map((f) => f.name));
  });

  it('leaves a history `prisma migrate status` reads as up to date', async () => {
    const result = await runPrisma(['migrate', 'status'], { DATABASE_URL: server.databaseUrl('fresh') });
    expect(result.stdout + result.stderr).toContain('Database schema is up to date');
    expect(result.code).toBe(0);
  });

  it('takes over a database `prisma migrate deploy` migrated, applying nothing again', async () => {
    const url = server.databaseUrl('by_prisma');
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    await admin.query('CREATE DATABASE by_prisma');
    await admin.end();
    const deploy = await runPrisma(['migrate', 'deploy'], { DATABASE_URL: url });
    expect(deploy.code, deploy.stderr).toBe(0);
    expect(await migrate(url, log)).toEqual({ applied: [] });
  });
});
