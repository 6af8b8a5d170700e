/** Run filters against a real (embedded) PostgreSQL with the registry's migrations: each selects exactly the runs it should. */
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../db/migrate';
import { startTempPostgres, type TempPostgres } from '../db/tempPostgres';
import { Prisma, type PrismaClient } from '../generated/prisma/client';
import { createDatabaseClient } from '../store/registryStore';
import { runFilterToSql } from './index';

const log = { info: () => {}, warn: () => {} };
const HOSTILE_KEY = "x'; DROP TABLE runs; --";

interface RunRow {
  name: string;
  status: 'RUNNING' | 'COMPLETED' | 'FAILED' | 'KILLED';
  params: Record<string, unknown>;
  tags: Record<string, string>;
  start: string;
  end: string | null;
}

const RUNS: RunRow[] = [
  {
    name: 'bert-base-1',
    status: 'COMPLETED',
    params: { lr: '0.001', optimizer: 'adam', batch_size: '32' },
    tags: { team: 'nlp', note: 'baseline' },
    start: '2024-01-05T10:00:00Z',
    end: '2024-01-05T12:00:00Z',
  },
  {
    name: 'bert-base-2',
    status: 'COMPLETED',
    params: { lr: '1e-3', optimizer: 'adam', batch_size: '64' },
    tags: { team: 'nlp' },
    start: '2024-01-20T00:00:00Z',
    end: '2024-01-21T00:00:00Z',
  },
  {
    name: 'bert-large-1',
    status: 'FAILED',
    params: { lr: '0.01', optimizer: 'sgd', batch_size: 'auto' },
    tags: { team: 'nlp' },
    start: '2024-02-02T00:00:00Z',
    end: '2024-02-02T05:00:00Z',
  },
  {
    name: 'bert-large-2',
    status: 'KILLED',
    params: { lr: '0.0001', optimizer: 'sgd' },
    tags: { team: 'nlp', 'my-tag': 'a' },
    start: '2024-02-10T00:00:00Z',
    end: '2024-02-10T01:00:00Z',
  },
  {
    name: 'gpt-small-1',
    status: 'RUNNING',
    params: { lr: '5e-4', optimizer: 'adamw', batch_size: '128', 'learning rate': '0.1' },
    tags: { team: 'llm' },
    start: '2024-02-15T00:00:00Z',
    end: null,
  },
  {
    name: 'gpt-small-2',
    status: 'RUNNING',
    params: { lr: 'auto' },
    tags: { team: 'llm', note: 'retry' },
    start: '2024-02-28T23:59:59Z',
    end: null,
  },
  {
    name: 'gpt-medium-1',
    status: 'COMPLETED',
    params: { lr: '0.002', batch_size: '32.0' },
    tags: { team: 'llm' },
    start: '2024-03-01T00:00:00Z',
    end: '2024-03-02T00:00:00Z',
  },
  {
    name: 'gpt-medium-2',
    status: 'FAILED',
    params: { lr: '-0.5' },
    tags: { team: 'llm', 'my-tag': 'b' },
    start: '2024-03-05T00:00:00Z',
    end: '2024-03-05T02:00:00Z',
  },
  {
    name: 't5-base-1',
    status: 'COMPLETED',
    params: { lr: '.5', optimizer: 'adafactor' },
    tags: {},
    start: '2024-03-10T00:00:00Z',
    end: '2024-03-11T00:00:00Z',
  },
  // A JSON number where a string is expected: compared by its text all the same.
  {
    name: 't5-base-2',
    status: 'COMPLETED',
    params: { lr: 0.02, optimizer: 'adafactor' },
    tags: { team: 'NLP' },
    start: '2024-03-12T00:00:00Z',
    end: '2024-03-13T00:00:00Z',
  },
  {
    name: 'vit-1',
    status: 'KILLED',
    params: { lr: 'NaN' },
    tags: { team: 'vision' },
    start: '2024-04-01T00:00:00Z',
    end: '2024-04-01T03:00:00Z',
  },
  // Values the numeric cast would choke on: never compared as numbers, and never break a query.
  {
    name: 'vit-2',
    status: 'COMPLETED',
    params: { lr: '1e999999' },
    tags: { team: 'vision' },
    start: '2024-04-02T00:00:00Z',
    end: '2024-04-03T00:00:00Z',
  },
  {
    name: 'vit-3',
    status: 'COMPLETED',
    params: { lr: '1'.repeat(2000) },
    tags: { team: 'vision' },
    start: '2024-04-03T00:00:00Z',
    end: '2024-04-04T00:00:00Z',
  },
  {
    name: 'clip-1',
    status: 'FAILED',
    params: {},
    tags: { team: 'vision', note: '' },
    start: '2024-04-10T00:00:00Z',
    end: '2024-04-10T01:00:00Z',
  },
  {
    name: 'clip-2',
    status: 'RUNNING',
    params: { lr: '3e-4', [HOSTILE_KEY]: 'y' },
    tags: { team: 'vision' },
    start: '2024-04-15T00:00:00Z',
    end: null,
  },
  {
    name: 'whisper-1',
    status: 'COMPLETED',
    params: { lr: '0.0003', 'learning rate': '0.05' },
    tags: { team: 'speech' },
    start: '2024-05-01T00:00:00Z',
    end: '2024-05-02T00:00:00Z',
  },
  {
    name: 'whisper-2',
    status: 'COMPLETED',
    params: { lr: '0.003', optimizer: 'Adam' },
    tags: { team: 'speech' },
    start: '2024-05-03T00:00:00Z',
    end: '2024-05-04T00:00:00Z',
  },
  {
    name: 'whisper_3',
    status: 'COMPLETED',
    params: { lr: '0.1' },
    tags: { team: 'speech' },
    start: '2024-05-05T00:00:00Z',
    end: '2024-05-06T00:00:00Z',
  },
  {
    name: "it's-run",
    status: 'FAILED',
    params: { lr: '+0.2' },
    tags: { team: 'speech' },
    start: '2024-05-07T00:00:00Z',
    end: '2024-05-07T01:00:00Z',
  },
  {
    name: '100% done',
    status: 'KILLED',
    params: { lr: '5.' },
    tags: {},
    start: '2024-05-08T00:00:00Z',
    end: '2024-05-08T01:00:00Z',
  },
];
const ALL = RUNS.map((r) => r.name);
const except = (...names: string[]) => ALL.filter((n) => !names.includes(n));

let server: TempPostgres;
let pool: pg.Pool;
let prisma: PrismaClient;
let experimentId: string;
let otherExperimentId: string;
const ids = new Map<string, string>();

beforeAll(async () => {
  server = await startTempPostgres();
  const url = server.databaseUrl('run_filter');
  await migrate(url, log);
  // The store's own client: its pool handles a connection the server ends.
  ({ prisma, pool } = createDatabaseClient(url, { maxConnections: 4 }));
  const one = async (sql: string, values: unknown[]) => (await pool.query<{ id: string }>(sql, values)).rows[0]?.id as string;
  const userId = await one("INSERT INTO users (email, name, updated_at) VALUES ('a@lab.test', 'A', now()) RETURNING id", []);
  const projectId = await one("INSERT INTO projects (name, created_by_id, updated_at) VALUES ('p', $1, now()) RETURNING id", [
    userId,
  ]);
  const experiment = 'INSERT INTO experiments (project_id, name, owner_id, updated_at) VALUES ($1, $2, $3, now()) RETURNING id';
  experimentId = await one(experiment, [projectId, 'e', userId]);
  otherExperimentId = await one(experiment, [projectId, 'other', userId]);
  const insertRun = `INSERT INTO runs (experiment_id, name, status, params, tags, start_time, end_time, created_by_id, updated_at)
    VALUES ($1, $2, $3::run_status, $4, $5, $6, $7, $8, now()) RETURNING id`;
  for (const run of RUNS) {
    const values = [experimentId, run.name, run.status, run.params, run.tags, run.start, run.end, userId];
    ids.set(run.name, await one(insertRun, values));
  }
  await one(insertRun, [otherExperimentId, 'bert-base-1', 'COMPLETED', { lr: '0.001' }, {}, RUNS[0]?.start, null, userId]);
});

afterAll(async () => {
  await prisma?.$disconnect();
  await pool?.end();
  await server?.stop();
});

/** The names a filter selects in the main experiment, through Prisma and through pg (same SQL), checked to agree. */
async function select(filter: string): Promise<string[]> {
  const where = runFilterToSql(filter, { alias: 'r' });
  const query = Prisma.sql`SELECT r.name FROM runs r WHERE r.experiment_id = ${experimentId}::uuid AND ${where} ORDER BY r.name`;
  const viaPrisma = (await prisma.$queryRaw<{ name: string }[]>(query)).map((r) => r.name);
  const viaPg = (await pool.query<{ name: string }>(query.text, query.values)).rows.map((r) => r.name);
  expect(viaPg).toEqual(viaPrisma);
  return viaPrisma;
}

const sorted = (names: string[]) => [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

describe('run filters against PostgreSQL', () => {
  it.each<[string, string[]]>([
    ['', ALL],
    [
      'params.lr > 0.001',
      ['bert-large-1', 'gpt-medium-1', 't5-base-1', 't5-base-2', 'whisper-2', 'whisper_3', "it's-run", '100% done'],
    ],
    ['params.lr = 0.001', ['bert-base-1', 'bert-base-2']],
    ["params.lr = '0.001'", ['bert-base-1']],
    ['params.lr < 0 OR params.lr >= 1e3', ['gpt-medium-2']],
    [
      "status = 'FAILED' OR status = 'KILLED'",
      ['bert-large-1', 'bert-large-2', 'gpt-medium-2', 'vit-1', 'clip-1', "it's-run", '100% done'],
    ],
    ["status IN ('failed', 'killed') AND tags.team = 'nlp'", ['bert-large-1', 'bert-large-2']],
    [
      "status = 'COMPLETED' OR status = 'FAILED' AND params.optimizer = 'sgd'",
      [
        'bert-base-1',
        'bert-base-2',
        'bert-large-1',
        'gpt-medium-1',
        't5-base-1',
        't5-base-2',
        'vit-2',
        'vit-3',
        'whisper-1',
        'whisper-2',
        'whisper_3',
      ],
    ],
    ["(status = 'COMPLETED' OR status = 'FAILED') AND params.optimizer = 'sgd'", ['bert-large-1']],
    ["name LIKE 'bert%'", ['bert-base-1', 'bert-base-2', 'bert-large-1', 'bert-large-2']],
    ["run_name ILIKE 'GPT-%-1'", ['gpt-small-1', 'gpt-medium-1']],
    ["name LIKE 'whisper\\_%'", ['whisper_3']],
    ["name LIKE '100\\% %' OR name = 'it''s-run'", ['100% done', "it's-run"]],
    ['tags.note IS NULL', except('bert-base-1', 'gpt-small-2', 'clip-1')],
    ['tags.note IS NOT NULL', ['bert-base-1', 'gpt-small-2', 'clip-1']],
    ['params.lr IS NULL', ['clip-1']],
    ["start_time >= '2024-02-01' AND start_time < '2024-03-01'", ['bert-large-1', 'bert-large-2', 'gpt-small-1', 'gpt-small-2']],
    ["start_time < '2024-02-29T00:59:59+01:00' AND start_time > '2024-02-15T00:00:00Z'", []],
    ["start_time <= '2024-02-29T00:59:59+01:00' AND start_time > '2024-02-15T00:00:00Z'", ['gpt-small-2']],
    ['end_time IS NULL', ['gpt-small-1', 'gpt-small-2', 'clip-2']],
    ['start_time > 1714521600000', ['whisper-2', 'whisper_3', "it's-run", '100% done']],
    ['attributes.start_time >= 1714521600000', ['whisper-1', 'whisper-2', 'whisper_3', "it's-run", '100% done']],
    ["end_time < '2024-01-06'", ['bert-base-1']],
    ['params.batch_size IN (32, 64)', ['bert-base-1', 'bert-base-2', 'gpt-medium-1']],
    ["params.batch_size IN ('auto', 128)", ['bert-large-1', 'gpt-small-1']],
    ['params.batch_size NOT IN (32)', ['bert-base-2', 'gpt-small-1']],
    ["NOT tags.team = 'nlp'", except('bert-base-1', 'bert-base-2', 'bert-large-1', 'bert-large-2')],
    ["tags.team ILIKE 'nlp'", ['bert-base-1', 'bert-base-2', 'bert-large-1', 'bert-large-2', 't5-base-2']],
    ["params.optimizer != 'adam'", ['bert-large-1', 'bert-large-2', 'gpt-small-1', 't5-base-1', 't5-base-2', 'whisper-2']],
    ["NOT (params.optimizer = 'adam')", except('bert-base-1', 'bert-base-2')],
    ['params."learning rate" >= 0.1', ['gpt-small-1']],
    ['params.learning rate < 0.1', ['whisper-1']],
    ["tags.`my-tag` IN ('a', 'b')", ['bert-large-2', 'gpt-medium-2']],
    ["run_name = 'vit-1' OR attributes.status = 'running'", ['gpt-small-1', 'gpt-small-2', 'vit-1', 'clip-2']],
    [
      "created_at > '2000-01-01' AND (tags.team = 'speech' AND NOT (params.lr > 0.01 OR status != 'COMPLETED'))",
      ['whisper-1', 'whisper-2'],
    ],
  ])('%s', async (filter, expected) => {
    expect(sorted(await select(filter))).toEqual(sorted(expected));
  });

  it('matches a hostile key as data, leaving the table alone', async () => {
    expect(await select("params.`x'; DROP TABLE runs; --` = 'y'")).toEqual(['clip-2']);
    expect(await select("name = 'x''; DROP TABLE runs; --' OR name = 'vit-1'")).toEqual(['vit-1']);
    const { rows } = await pool.query<{ n: string }>('SELECT count(*) AS n FROM runs');
    expect(Number(rows[0]?.n)).toBe(RUNS.length + 1);
  });

  it('selects by id and experiment id', async () => {
    expect(await select(`id = '${ids.get('gpt-medium-1')?.toUpperCase()}'`)).toEqual(['gpt-medium-1']);
    const where = runFilterToSql(`experiment_id = '${otherExperimentId}'`, { alias: 'r' });
    const rows = await prisma.$queryRaw<{ name: string }[]>(Prisma.sql`SELECT r.name FROM runs r WHERE ${where}`);
    expect(rows.map((r) => r.name)).toEqual(['bert-base-1']);
  });

  it('works with a join and another alias', async () => {
    const where = runFilterToSql("name LIKE 'vit-%' AND params.lr IS NOT NULL", { alias: 'run' });
    const rows = await prisma.$queryRaw<{ name: string }[]>(
      Prisma.sql`SELECT run.name FROM runs run JOIN experiments e ON e.id = run.experiment_id
        WHERE e.name = ${'e'} AND ${where} ORDER BY run.name`,
    );
    expect(rows.map((r) => r.name)).toEqual(['vit-1', 'vit-2', 'vit-3']);
  });

  it('takes a thousand-value IN list as one parameter', async () => {
    // 999 numbers and a string: '5.' equals 5 as a number, '0.002' matches as text.
    const filter = `params.lr IN (${Array.from({ length: 999 }, (_, i) => i).join(',')}, '0.002')`;
    expect(filter.length).toBeLessThanOrEqual(4000);
    const where = runFilterToSql(filter, { alias: 'r' });
    expect(where.values.filter(Array.isArray).map((a) => a.length)).toEqual([999, 1]);
    expect(sorted(await select(filter))).toEqual(['100% done', 'gpt-medium-1']);
  });
});

describe('config paths against PostgreSQL', () => {
  const CONFIGS: Record<string, Record<string, unknown>> = {
    'llama-a': { model: { name: 'llama', layers: 32 }, optimizer: { name: 'adamw', lr: 3e-4, betas: [0.9, 0.95] }, flash: true },
    'llama-b': { model: { name: 'llama', layers: 80 }, optimizer: { name: 'adamw', lr: 1.5e-4 }, flash: false },
    'mistral-a': { model: { name: 'mistral' }, optimizer: { name: 'sgd', lr: 0.01 }, seed: null },
    // a number written as a string stays a string: it does not compare with numbers
    'text-lr': { optimizer: { lr: '0.001' }, model: { name: 'LLAMA', 'hidden size': 4096 } },
    'no-config': {},
  };
  let configExperiment: string;

  /** The names a filter selects among the config runs. */
  async function configSelect(filter: string): Promise<string[]> {
    const where = runFilterToSql(filter, { alias: 'r' });
    const rows = await prisma.$queryRaw<{ name: string }[]>(
      Prisma.sql`SELECT r.name FROM runs r WHERE r.experiment_id = ${configExperiment}::uuid AND ${where} ORDER BY r.name`,
    );
    return rows.map((r) => r.name);
  }

  beforeAll(async () => {
    const { rows } = await pool.query<{ project_id: string; owner_id: string }>(
      'SELECT project_id, owner_id FROM experiments WHERE id = $1',
      [experimentId],
    );
    const { project_id: projectId, owner_id: userId } = rows[0] as { project_id: string; owner_id: string };
    configExperiment = (
      await pool.query<{ id: string }>(
        "INSERT INTO experiments (project_id, name, owner_id, updated_at) VALUES ($1, 'configs', $2, now()) RETURNING id",
        [projectId, userId],
      )
    ).rows[0]?.id as string;
    for (const [name, config] of Object.entries(CONFIGS)) {
      await pool.query(
        'INSERT INTO runs (experiment_id, name, config, created_by_id, updated_at) VALUES ($1, $2, $3, $4, now())',
        [configExperiment, name, config, userId],
      );
    }
  });

  it.each<[string, string[]]>([
    ['config.optimizer.lr > 1e-4', ['llama-a', 'llama-b', 'mistral-a']],
    ['config.optimizer.lr = 0.0003', ['llama-a']],
    ['config.optimizer.lr <= 0.001', ['llama-a', 'llama-b']],
    ["config.optimizer.lr = '0.001'", ['text-lr']],
    ['config.model.name = "llama"', ['llama-a', 'llama-b']],
    ["config.model.name ILIKE 'llama'", ['llama-a', 'llama-b', 'text-lr']],
    ["config.model.layers >= 64 OR config.model.name IN ('mistral')", ['llama-b', 'mistral-a']],
    ['config.optimizer.betas.1 = 0.95', ['llama-a']],
    ["config.flash = 'true'", ['llama-a']],
    ["config.flash != 'true'", ['llama-b']],
    ['config.seed IS NULL', ['llama-a', 'llama-b', 'mistral-a', 'no-config', 'text-lr']],
    ['config.model IS NOT NULL', ['llama-a', 'llama-b', 'mistral-a', 'text-lr']],
    ['config.model."hidden size" = 4096', ['text-lr']],
    ['config.model.hidden size > 1000', ['text-lr']],
    // an object is neither a number nor a string: it compares with nothing
    ["config.model = 'llama' OR config.model > 0", []],
    ["NOT config.model.name = 'llama'", ['mistral-a', 'no-config', 'text-lr']],
  ])('%s', async (filter, expected) => {
    expect(await configSelect(filter)).toEqual(sorted(expected));
  });

  it('answers config = value from the GIN index on config', async () => {
    const where = runFilterToSql("config.model.name = 'llama'", { alias: 'r' });
    const plan = await prisma.$transaction(async (tx) => {
      await tx.$executeRawUnsafe('SET LOCAL enable_seqscan = off');
      return tx.$queryRaw<{ 'QUERY PLAN': string }[]>(Prisma.sql`EXPLAIN SELECT r.name FROM runs r WHERE ${where}`);
    });
    expect(plan.map((row) => row['QUERY PLAN']).join('\n')).toContain('runs_config_idx');
  });
});
