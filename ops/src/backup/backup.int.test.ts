/**
 * npm run backup / restore, round trip: a registry database with rows in every
 * kind of column (UUIDs, JSONB, arrays, timestamps, enums) is backed up to the
 * embedded S3 server and restored into a fresh database; every table matches.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { migrate } from '@lab/registry';
import { PrismaClient } from '@lab/registry/prisma';
import { createLogger, loadConfig } from '@lab/shared';
import { type EmbeddedPostgres, type EmbeddedS3, startEmbeddedPostgres, startEmbeddedS3 } from '@lab/stack';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backup, listBackups, restore } from './backup';

const dir = mkdtempSync(path.join(tmpdir(), 'artifacts-backup-'));
const log = createLogger('backup-test', { logLevel: 'silent', logFormat: 'json' });
let pgServer: EmbeddedPostgres;
let s3: EmbeddedS3;
let sourceUrl: string;

function dbUrl(name: string): string {
  const u = new URL(pgServer.url);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Every table's rows as JSON, in a stable order. */
async function snapshot(url: string): Promise<Record<string, unknown[]>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows: tables } = await client.query<{ t: string }>(
      `SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`,
    );
    const out: Record<string, unknown[]> = {};
    for (const { t } of tables) {
      const cols = t === '_prisma_migrations' ? 'migration_name, checksum' : '*';
      const { rows } = await client.query(`SELECT ${cols} FROM "${t}" ORDER BY 1`);
      out[t] = rows;
    }
    return out;
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  [pgServer, s3] = await Promise.all([
    startEmbeddedPostgres({ dataDir: path.join(dir, 'pg') }),
    startEmbeddedS3({ dataDir: path.join(dir, 's3') }),
  ]);
  sourceUrl = dbUrl('lab');
  await migrate(sourceUrl, log);
  const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: sourceUrl }) });
  const user = await prisma.user.create({ data: { email: 'ada@lab.test', name: 'Ada "quoted" \u00e9', isAdmin: true } });
  const project = await prisma.project.create({
    data: { name: 'p', createdById: user.id, metadata: { nested: { a: [1, 2.5, null] }, s: "it's" } },
  });
  await prisma.projectMember.create({ data: { projectId: project.id, userId: user.id, role: 'OWNER' } });
  const experiment = await prisma.experiment.create({
    data: { projectId: project.id, name: 'e', ownerId: user.id, tags: { team: 'nlp' } },
  });
  await prisma.run.createMany({
    data: Array.from({ length: 2500 }, (_, i) => ({
      experimentId: experiment.id,
      name: `run-${i}`,
      createdById: user.id,
      params: { lr: String(0.1 / (i + 1)) },
    })),
  });
  const dataset = await prisma.dataset.create({ data: { projectId: project.id, name: 'd', createdById: user.id } });
  await prisma.datasetVersion.create({
    data: { datasetId: dataset.id, label: 'v1', format: 'parquet', sizeBytes: 2n ** 40n, createdById: user.id },
  });
  await prisma.$disconnect();
}, 180_000);

afterAll(async () => {
  await Promise.all([pgServer?.stop(), s3?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

describe('backup and restore', () => {
  it('round-trips the registry database through the bucket into a fresh database', async () => {
    const config = loadConfig({ DATABASE_URL: sourceUrl, ...s3.env, LOG_LEVEL: 'silent' });
    const done = await backup(config, log);
    expect(done.key).toMatch(/^backups\/postgresql\/\d{4}-\d{2}-\d{2}\/lab-.*\.ndjson\.gz$/);
    expect(done.rows).toBeGreaterThan(2500);
    expect((await listBackups(config, log)).map((b) => b.key)).toEqual([done.key]);

    const restored = await restore(config, log, { into: 'lab_restored' });
    expect(restored).toMatchObject({ key: done.key, database: 'lab_restored', rows: done.rows, tables: done.tables });
    expect(await snapshot(dbUrl('lab_restored'))).toEqual(await snapshot(sourceUrl));

    await expect(restore(config, log, { into: 'lab_restored' })).rejects.toThrow(/already has tables/);
    const replaced = await restore(config, log, { into: 'lab_restored', replace: true });
    expect(replaced.rows).toBe(done.rows);
  }, 120_000);
});
