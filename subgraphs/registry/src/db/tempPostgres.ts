/**
 * A throwaway PostgreSQL server (embedded, in a fresh temp folder) for tests
 * and for newMigration.ts. stop() shuts it down and deletes the folder.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres } from '@lab/stack';
import { withDatabase } from './databaseUrl';

export interface TempPostgres {
  /** URL of the server's `postgres` database. */
  url: string;
  /** URL of another database on the same server (not created here). */
  databaseUrl(name: string): string;
  stop(): Promise<void>;
}

export async function startTempPostgres(): Promise<TempPostgres> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lab-registry-pg-'));
  try {
    const server = await startEmbeddedPostgres({ dataDir: path.join(dir, 'data') });
    return {
      url: server.url,
      databaseUrl: (name) => withDatabase(server.url, name),
      stop: async () => {
        await server.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
