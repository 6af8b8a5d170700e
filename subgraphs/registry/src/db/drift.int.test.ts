/**
 * Drift: prisma/schema.prisma and the committed migrations must describe the
 * same database. Prisma's differ replays the migrations into a fresh embedded
 * database and compares the result with the schema; any SQL left over means a
 * migration is missing (or a migration was edited by hand past the schema).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR } from './migrations';
import { diffMigrationsToSchema } from './prismaCli';
import { startTempPostgres, type TempPostgres } from './tempPostgres';

const FIX = 'npx tsx subgraphs/registry/src/db/newMigration.ts <name>';
let server: TempPostgres;

beforeAll(async () => {
  server = await startTempPostgres();
});

afterAll(async () => {
  await server?.stop();
});

describe('prisma/schema.prisma and prisma/migrations', () => {
  it('agree (no migration is missing)', async () => {
    const diff = await diffMigrationsToSchema(server.url, MIGRATIONS_DIR);
    const message = `prisma/schema.prisma differs from what prisma/migrations build. The missing SQL:\n\n${diff.sql}\nFix: ${FIX}\n`;
    expect(diff.empty, message).toBe(true);
  });
});
