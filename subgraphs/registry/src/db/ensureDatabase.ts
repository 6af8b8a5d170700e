/** Creates the database a URL names when the server does not have it yet. */
import type { Logger } from '@lab/shared';
import pg from 'pg';
import { databaseName, quoteIdent, withDatabase } from './databaseUrl';

const INVALID_CATALOG_NAME = '3D000';
/** A concurrent CREATE DATABASE of the same name won: duplicate_database, or the catalog's unique index. */
const ALREADY_CREATED = new Set(['42P04', '23505']);

/** Returns true when it created the database. Connects to `postgres` on the same server only when needed. */
export async function ensureDatabase(url: string, log: Pick<Logger, 'info'>): Promise<boolean> {
  const probe = new pg.Client({ connectionString: url });
  try {
    await probe.connect();
    return false;
  } catch (err) {
    if ((err as { code?: string }).code !== INVALID_CATALOG_NAME) throw err;
  } finally {
    await probe.end().catch(() => {});
  }
  const name = databaseName(url);
  const admin = new pg.Client({ connectionString: withDatabase(url, 'postgres') });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${quoteIdent(name)}`);
    log.info({ database: name }, 'created database');
    return true;
  } catch (err) {
    if (ALREADY_CREATED.has((err as { code?: string }).code ?? '')) return false;
    throw err;
  } finally {
    await admin.end().catch(() => {});
  }
}
