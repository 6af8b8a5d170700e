/**
 * The committed migrations: prisma/migrations/<timestamp>_<name>/migration.sql,
 * in name order, as Prisma lays them out and orders them.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const REPO_ROOT = path.resolve(import.meta.dirname, '../../../..');
export const MIGRATIONS_DIR = path.join(REPO_ROOT, 'prisma', 'migrations');
export const SCHEMA_FILE = path.join(REPO_ROOT, 'prisma', 'schema.prisma');

export interface MigrationFile {
  /** The folder name, e.g. 20261125140657_init; what _prisma_migrations.migration_name records. */
  name: string;
  sql: string;
  /** sha256 (hex) of the file's bytes, as Prisma computes it. */
  checksum: string;
}

export function checksumOf(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function listMigrations(dir: string = MIGRATIONS_DIR): MigrationFile[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(path.join(dir, entry.name, 'migration.sql')))
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const bytes = readFileSync(path.join(dir, name, 'migration.sql'));
      return { name, sql: bytes.toString('utf8'), checksum: checksumOf(bytes) };
    });
}

/** The folder name Prisma would give a new migration: UTC yyyyMMddHHmmss_<name, snake_cased>. */
export function migrationFolderName(name: string, now: Date = new Date()): string {
  const slug = name
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  if (!slug) throw new Error(`"${name}" is not a usable migration name (letters, digits, _ or -)`);
  const stamp = now.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return `${stamp}_${slug}`;
}
