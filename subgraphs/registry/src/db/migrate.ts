/**
 * Applies the prisma/migrations/<name>/migration.sql the database lacks, in name
 * order, each in its own transaction, and records them in `_prisma_migrations`
 * exactly as Prisma does (same table, same columns, sha256 checksums), so
 * `prisma migrate deploy`/`status` agree with it wherever they run.
 *
 * Why not `prisma migrate deploy`: see prisma.config.ts (the
 * native engine cannot be downloaded offline; the JS one is experimental).
 *
 * - Creates the database named in the URL when missing.
 * - Two processes starting at once: both wait on Prisma's own advisory lock
 *   (the one `prisma migrate` takes), so each migration is applied once.
 * - A recorded migration whose file changed since, or one Prisma left
 *   unfinished, stops the start with a message saying what to do.
 * - Migrations needing to run outside a transaction (CREATE INDEX
 *   CONCURRENTLY) are not supported.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '@lab/shared';
import pg from 'pg';
import { databaseName } from './databaseUrl';
import { ensureDatabase } from './ensureDatabase';
import { listMigrations, MIGRATIONS_DIR, type MigrationFile } from './migrations';

/** The advisory lock key of Prisma's schema engine on PostgreSQL. */
export const PRISMA_MIGRATE_LOCK = 72707369;

/** Prisma's own DDL for its bookkeeping table. */
const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

export type MigrateLog = Pick<Logger, 'info' | 'warn'>;

export interface MigrateOptions {
  /** Folder of the migrations (default: the repo's prisma/migrations). */
  migrationsDir?: string;
}

export class MigrationStateError extends Error {
  override name = 'MigrationStateError';
}

interface Row {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
}

/** Throws when the recorded history and the files disagree; returns the migrations still to apply. */
export function pendingMigrations(files: MigrationFile[], rows: Row[], log: MigrateLog): MigrationFile[] {
  const unfinished = rows.filter((r) => r.finished_at === null).map((r) => r.migration_name);
  if (unfinished.length > 0) {
    throw new MigrationStateError(
      `Migration ${unfinished.join(', ')} was started but never finished (a failed \`prisma migrate deploy\`?). ` +
        'Repair the database by hand, then mark the row in _prisma_migrations rolled back (set rolled_back_at) ' +
        'to have it applied again, or finished (set finished_at) if it is in place.',
    );
  }
  const applied = new Map(rows.map((r) => [r.migration_name, r.checksum]));
  const changed = files.filter((f) => applied.has(f.name) && applied.get(f.name) !== f.checksum);
  if (changed.length > 0) {
    throw new MigrationStateError(
      `Refusing to start: migration ${changed.map((f) => f.name).join(', ')} changed after it was applied ` +
        '(its sha256 differs from the one recorded in _prisma_migrations). Applied migrations must never change: ' +
        'restore the file from version control, and put the change in a new migration ' +
        '(npx tsx subgraphs/registry/src/db/newMigration.ts <name>).',
    );
  }
  const known = new Set(files.map((f) => f.name));
  const unknown = rows.map((r) => r.migration_name).filter((name) => !known.has(name));
  if (unknown.length > 0)
    log.warn({ migrations: unknown }, 'database has migrations this code does not know (a newer version ran here)');
  return files.filter((f) => !applied.has(f.name));
}

async function applyOne(client: pg.Client, migration: MigrationFile): Promise<void> {
  const startedAt = new Date();
  await client.query('BEGIN');
  try {
    await client.query(migration.sql);
    await client.query(
      `INSERT INTO "_prisma_migrations"
         (id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count)
       VALUES ($1, $2, clock_timestamp(), $3, NULL, NULL, $4, 1)`,
      [randomUUID(), migration.checksum, migration.name, startedAt],
    );
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    const message = err instanceof Error ? err.message : String(err);
    throw new MigrationStateError(`Migration ${migration.name} failed and was rolled back (nothing of it applied): ${message}`);
  }
}

export async function migrate(
  databaseUrl: string,
  log: MigrateLog,
  options: MigrateOptions = {},
): Promise<{ applied: string[] }> {
  const files = listMigrations(options.migrationsDir ?? MIGRATIONS_DIR);
  await ensureDatabase(databaseUrl, log);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [PRISMA_MIGRATE_LOCK]);
    await client.query(CREATE_TABLE);
    const { rows } = await client.query<Row>(
      `SELECT migration_name, checksum, finished_at FROM "_prisma_migrations"
       WHERE rolled_back_at IS NULL ORDER BY started_at`,
    );
    const pending = pendingMigrations(files, rows, log);
    const applied: string[] = [];
    for (const migration of pending) {
      await applyOne(client, migration);
      applied.push(migration.name);
      log.info({ migration: migration.name }, 'applied migration');
    }
    log.info({ database: databaseName(databaseUrl), applied: applied.length, total: files.length }, 'database schema up to date');
    return { applied };
  } finally {
    // Ending the session releases the advisory lock too.
    await client.end().catch(() => {});
  }
}
