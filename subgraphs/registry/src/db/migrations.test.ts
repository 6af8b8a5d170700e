import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { pendingMigrations } from './migrate';
import { listMigrations, MIGRATIONS_DIR, type MigrationFile, migrationFolderName } from './migrations';

const file = (name: string, checksum = `sum-${name}`): MigrationFile => ({ name, sql: '', checksum });
const row = (name: string, checksum = `sum-${name}`, finished = true) => ({
  migration_name: name,
  checksum,
  finished_at: finished ? new Date() : null,
});
const silent = () => ({ info: vi.fn(), warn: vi.fn() });

describe('committed migrations', () => {
  it('are listed in name order with the sha256 of their bytes, as Prisma records it', () => {
    const migrations = listMigrations();
    expect(migrations.length).toBeGreaterThan(0);
    expect(migrations.map((m) => m.name)).toEqual([...migrations.map((m) => m.name)].sort());
    for (const m of migrations) {
      expect(m.name).toMatch(/^\d{14}_[a-z0-9_]+$/);
      const bytes = readFileSync(path.join(MIGRATIONS_DIR, m.name, 'migration.sql'));
      expect(m.checksum).toBe(createHash('sha256').update(bytes).digest('hex'));
    }
  });

  it('come with the lock file Prisma expects', () => {
    expect(readFileSync(path.join(MIGRATIONS_DIR, 'migration_lock.toml'), 'utf8')).toContain('provider = "postgresql"');
  });
});

describe('migrationFolderName', () => {
  it('stamps UTC time and snake-cases the name', () => {
    expect(migrationFolderName('Add run Tags!', new Date('2026-01-02T03:04:05.678Z'))).toBe('20260102030405_add_run_tags');
  });

  it('refuses a name with nothing usable', () => {
    expect(() => migrationFolderName(' -- ')).toThrow(/not a usable migration name/);
  });
});

describe('pendingMigrations', () => {
  it('returns the files not recorded, in order', () => {
    const files = [file('1_a'), file('2_b'), file('3_c')];
    expect(pendingMigrations(files, [row('1_a')], silent()).map((f) => f.name)).toEqual(['2_b', '3_c']);
  });

  it('refuses a recorded migration whose file changed', () => {
    expect(() => pendingMigrations([file('1_a', 'new')], [row('1_a', 'old')], silent())).toThrow(
      /1_a changed after it was applied.*newMigration\.ts/,
    );
  });

  it('refuses a migration Prisma left unfinished', () => {
    expect(() => pendingMigrations([file('1_a')], [row('1_a', 'sum-1_a', false)], silent())).toThrow(/never finished/);
  });

  it('warns about recorded migrations it has no file for, and goes on', () => {
    const log = silent();
    expect(pendingMigrations([file('1_a')], [row('1_a'), row('2_newer')], log)).toEqual([]);
    expect(log.warn).toHaveBeenCalledWith({ migrations: ['2_newer'] }, expect.stringContaining('does not know'));
  });
});
