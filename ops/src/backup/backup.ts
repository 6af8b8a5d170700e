/**
 * `npm run backup` / `npm run restore`: the registry's database (read and
 * written by the registry's backup module, @lab/registry/backup) to and from
 * the bucket (written by @lab/artifacts, the S3 owner), under
 * backups/postgresql/{date}/. This package depends on both; neither service
 * imports the other, nor the stack, for it.
 *
 * Without DATABASE_URL / S3_ENDPOINT they reach the embedded stores of a
 * running `npm start` (LAB_POSTGRES_PORT, LAB_S3_PORT; the S3 key pair the
 * embedded server keeps in LAB_DATA_DIR/s3).
 */
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { backupKey, openArtifactsStore, type StoredBackup } from '@lab/artifacts';
import { databaseName, dropDatabase, dumpDatabase, hasTables, restoreDatabase } from '@lab/registry/backup';
import type { Config, Logger } from '@lab/shared';
import { readEmbeddedS3Credentials } from '@lab/stack';
import { databaseUrlOf } from '../databaseUrl';

/** Without S3_ENDPOINT: the embedded S3 server of `npm start`, signed with the key pair stored in its folder. */
function withS3(config: Config): Config {
  if (config.s3.endpoint) return config;
  const stored = config.s3.accessKeyId ? undefined : readEmbeddedS3Credentials(path.join(config.dataDir, 's3'));
  return {
    ...config,
    s3: { ...config.s3, endpoint: `http://127.0.0.1:${config.ports.s3}`, ...(stored ?? {}) },
  };
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(name)}`;
  return u.toString();
}

export interface BackupResult {
  key: string;
  size: number;
  tables: number;
  rows: number;
}

export async function backup(config: Config, log: Logger): Promise<BackupResult> {
  const databaseUrl = databaseUrlOf(config);
  const store = await openArtifactsStore(withS3(config), log);
  try {
    const key = backupKey(databaseName(databaseUrl));
    const gzip = createGzip();
    // A failed dump destroys the stream, so the upload is aborted rather than completed short.
    const [summary, written] = await Promise.all([
      dumpDatabase(databaseUrl, gzip).then(
        (s) => {
          gzip.end();
          return s;
        },
        (err) => {
          gzip.destroy(err);
          throw err;
        },
      ),
      store.backups.write(key, gzip).catch((err) => {
        gzip.destroy();
        throw err;
      }),
    ]);
    return { key, size: written.size, ...summary };
  } finally {
    store.close();
  }
}

export async function listBackups(config: Config, log: Logger): Promise<StoredBackup[]> {
  const store = await openArtifactsStore(withS3(config), log);
  try {
    return await store.backups.list();
  } finally {
    store.close();
  }
}

export interface RestoreOptions {
  /** Key of the backup (default: the newest). */
  from?: string | undefined;
  /** Database to restore into (default: the configured one); it must be new or empty unless `replace`. */
  into?: string | undefined;
  /** Drop the target database first (its connections are closed). */
  replace?: boolean;
}

export async function restore(
  config: Config,
  log: Logger,
  options: RestoreOptions = {},
): Promise<{ key: string; database: string; tables: number; rows: number }> {
  const configured = databaseUrlOf(config);
  const target = options.into ? withDatabase(configured, options.into) : configured;
  const store = await openArtifactsStore(withS3(config), log);
  try {
    const key = options.from ?? (await store.backups.list())[0]?.key;
    if (!key) throw new Error('there is no backup under backups/postgresql/ in the bucket');
    const database = databaseName(target);
    if (options.replace) await dropDatabase(target, database);
    else if (await hasTables(target).catch(() => false)) {
      throw new Error(`database "${database}" already has tables: restore --into a new name, or --replace it`);
    }
    const gunzip = createGunzip();
    const body = await store.backups.read(key);
    const [summary] = await Promise.all([restoreDatabase(target, gunzip, log), pipeline(body, gunzip)]);
    return { key, database, tables: summary.tables, rows: summary.rows };
  } finally {
    store.close();
  }
}
