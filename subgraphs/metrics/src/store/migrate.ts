/**
 * Applies the migrations a database lacks, in version order, and records each
 * in schema_migrations (version, name, checksum, applied_at). Running it again
 * changes nothing; a recorded migration whose SQL changed since is refused.
 */
import { createHash } from 'node:crypto';
import type { Logger } from '@lab/shared';
import type { ClickHouseClient } from './clickhouseClient';
import { qualified } from './ddl';
import { bootstrapStatements, MIGRATIONS, MIGRATIONS_TABLE, type Migration, type MigrationOptions } from './migrations';

export interface AppliedMigration {
  version: number;
  name: string;
  checksum: string;
  applied_at: string;
}

export interface MigrateResult {
  /** Versions applied by this run. */
  applied: number[];
  /** Versions found already recorded. */
  skipped: number[];
}

/** TABLE_ALREADY_EXISTS, DATABASE_ALREADY_EXISTS: a concurrent CREATE … IF NOT EXISTS won the race. */
const ALREADY_EXISTS = new Set(['57', '82']);

/** sha256 of the migration's statements for these options, whitespace-normalized. */
export function checksumOf(migration: Migration, options: MigrationOptions): string {
  const text = migration.statements(options).map((s) => s.replace(/\s+/g, ' ').trim());
  return createHash('sha256').update(text.join(';\n')).digest('hex');
}

export function assertOrdered(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    const previous = migrations[i - 1];
    if (!Number.isInteger(m.version) || m.version < 1 || (previous && m.version <= previous.version)) {
      throw new Error(`migration versions must be positive integers in increasing order (at "${m.name}", version ${m.version})`);
    }
  });
}

async function run(client: ClickHouseClient, query: string): Promise<void> {
  try {
    await client.command({ query });
  } catch (err) {
    if (ALREADY_EXISTS.has(String((err as { code?: unknown }).code))) return;
    throw err;
  }
}

export async function readApplied(client: ClickHouseClient, options: MigrationOptions): Promise<AppliedMigration[]> {
  const result = await client.query({
    query: `SELECT version, name, checksum, toString(applied_at) AS applied_at
FROM ${qualified(options, MIGRATIONS_TABLE)} FINAL ORDER BY version`,
    format: 'JSONEachRow',
  });
  return result.json<AppliedMigration>();
}

export async function migrate(
  client: ClickHouseClient,
  options: MigrationOptions & { log?: Logger },
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<MigrateResult> {
  assertOrdered(migrations);
  const { log } = options;
  for (const statement of bootstrapStatements(options)) await run(client, statement);

  const recorded = new Map((await readApplied(client, options)).map((row) => [row.version, row]));
  const known = new Set(migrations.map((m) => m.version));
  const unknown = [...recorded.keys()].filter((v) => !known.has(v));
  if (unknown.length > 0) {
    log?.warn({ versions: unknown }, 'database has migrations this code does not know (a newer version ran here)');
  }

  const result: MigrateResult = { applied: [], skipped: [] };
  for (const migration of migrations) {
    const checksum = checksumOf(migration, options);
    const row = recorded.get(migration.version);
    if (row) {
      if (row.checksum !== checksum) {
        throw new Error(
          `ClickHouse migration ${migration.version} ("${migration.name}") changed after it was applied ` +
            `(recorded checksum ${row.checksum.slice(0, 12)}, now ${checksum.slice(0, 12)}): ` +
            'released migrations are append-only; add a new migration instead',
        );
      }
      result.skipped.push(migration.version);
      continue;
    }
    log?.info({ version: migration.version, migration: migration.name }, 'applying ClickHouse migration');
    for (const statement of migration.statements(options)) await run(client, statement);
    await client.insert({
      table: qualified(options, MIGRATIONS_TABLE),
      values: [{ version: migration.version, name: migration.name, checksum }],
      columns: ['version', 'name', 'checksum'],
      format: 'JSONEachRow',
    });
    result.applied.push(migration.version);
  }
  log?.info({ database: options.database, cluster: options.cluster, ...result }, 'ClickHouse schema up to date');
  return result;
}
