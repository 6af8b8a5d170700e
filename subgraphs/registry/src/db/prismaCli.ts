/** Runs the Prisma CLI (node_modules/prisma) from the repo root, so prisma.config.ts applies. */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { REPO_ROOT, SCHEMA_FILE } from './migrations';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

const require = createRequire(import.meta.url);
const CLI = path.join(path.dirname(require.resolve('prisma/package.json')), 'build', 'index.js');

export function runPrisma(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, PRISMA_HIDE_UPDATE_MESSAGE: '1', CHECKPOINT_DISABLE: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export interface PendingDiff {
  /** True when the schema says what the migrations already do. */
  empty: boolean;
  /** The SQL that takes the migrated database to schema.prisma. */
  sql: string;
}

/**
 * SQL from the committed migrations to schema.prisma, by Prisma's own differ.
 * `scratchDatabaseUrl` must name an EMPTY database that may be written to:
 * with the JS engine Prisma replays the migrations into it (no shadow database).
 */
export async function diffMigrationsToSchema(scratchDatabaseUrl: string, migrationsDir: string): Promise<PendingDiff> {
  const result = await runPrisma(
    ['migrate', 'diff', '--from-migrations', migrationsDir, '--to-schema-datamodel', SCHEMA_FILE, '--script', '--exit-code'],
    { DATABASE_URL: scratchDatabaseUrl },
  );
  // --exit-code: 0 no difference, 2 difference, anything else an error.
  if (result.code === 0) return { empty: true, sql: result.stdout };
  if (result.code === 2) return { empty: false, sql: result.stdout };
  throw new Error(`prisma migrate diff failed (exit ${result.code}):\n${result.stderr.trim() || result.stdout.trim()}`);
}
