/**
 * Exports through the gateway: an experiment's runs as CSV (attributes,
 * source, params, flattened config, tags, metric last/min/max) checked
 * against what was logged; a 1M-point series as CSV and as Parquet (read back
 * with chdb), a step range, and the refusals (401 without a key, 404 for
 * another project's run or a metric never logged, 400 for a bad metric name).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { query as chdbQuery } from 'chdb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform } from './support/testPlatform';

const BIG = 1_000_000;

/** Parses RFC 4180 CSV (quoted fields, doubled quotes, CRLF or LF). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) rows.push([...row, field]);
  return rows;
}

/** The CSV as objects by header. */
function records(text: string): Record<string, string>[] {
  const [head, ...rows] = parseCsv(text);
  return rows.map((r) => Object.fromEntries((head ?? []).map((h, i) => [h, r[i] ?? ''])));
}

describe('exports through the gateway', () => {
  let platform: TestPlatform;
  let experimentId: string;
  const runs: { id: string; name: string; lr: number; valLoss: number[] }[] = [];

  const get = (url: string, key: string | null = platform.adminApiKey) =>
    fetch(`${platform.gatewayUrl}${url}`, { headers: key ? { authorization: `Bearer ${key}` } : {} });

  async function post(lines: object[]): Promise<void> {
    const body = gzipSync(`${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
    const res = await fetch(`${platform.gatewayUrl}/v1/metrics`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${platform.adminApiKey}`,
        'content-type': 'application/x-ndjson',
        'content-encoding': 'gzip',
      },
      body,
    });
    expect(res.status, await res.clone().text()).toBe(200);
  }

  beforeAll(async () => {
    platform = await startTestPlatform();
    const first = await platform.newRun({ project: 'export-e2e', experiment: 'sweep', run: 'warmup' });
    experimentId = first.experimentId;
    for (const [i, lr] of [3e-4, 1e-3, 3e-3].entries()) {
      const answer = await platform.gql<{ startRun: { id: string } }>(
        `mutation($i: StartRunInput!) { startRun(input: $i) { id } }`,
        {
          i: {
            experimentId,
            name: `lr ${lr}`,
            params: { lr: String(lr), seed: String(i) },
            tags: { team: i === 0 ? 'nlp' : 'vision', note: 'warm, then "cosine"' },
            config: { optimizer: { name: 'adamw', lr, betas: [0.9, 0.95] }, layers: 12 + i },
            source: { commit: 'abcdef1234567', branch: 'main', dirty: i === 2, host: 'node-1' },
          },
        },
      );
      const id = answer.body.data?.startRun.id as string;
      expect(id, JSON.stringify(answer.body.errors)).toBeTruthy();
      const valLoss = Array.from({ length: 50 }, (_, s) => 2 / (s + 1) + lr * 10 + (s === 7 ? 5 : 0));
      runs.push({ id, name: `lr ${lr}`, lr, valLoss });
      await post(valLoss.map((value, step) => ({ runId: id, name: 'val_loss', value, step })));
    }
    // A 1M-point series on the first run: 20 NDJSON bodies of 50,000 lines.
    const big = runs[0]?.id as string;
    for (let from = 0; from < BIG; from += 50_000) {
      await post(
        Array.from({ length: 50_000 }, (_, k) => ({ runId: big, name: 'train/loss', value: 1 / (from + k + 1), step: from + k })),
      );
    }
  });
  afterAll(async () => {
    await platform?.stop();
  });

  it("writes an experiment's runs as CSV with params, flattened config, tags, source and metric summaries", async () => {
    const res = await get(`/v1/export/experiments/${experimentId}/runs.csv?metrics=val_loss,train/loss`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="experiment-${experimentId}-runs.csv"`);
    const rows = records(await res.text());
    expect(rows).toHaveLength(4);
    const header = Object.keys(rows[0] ?? {});
    expect(header).toEqual(
      expect.arrayContaining([
        'run_id',
        'name',
        'status',
        'source.commit',
        'params.lr',
        'params.seed',
        'config.optimizer.lr',
        'config.optimizer.name',
        'config.optimizer.betas',
        'config.layers',
        'tags.team',
        'metrics.val_loss.last',
        'metrics.val_loss.min',
        'metrics.val_loss.max',
        'metrics.train/loss.last',
      ]),
    );
    for (const run of runs) {
      const row = rows.find((r) => r.run_id === run.id);
      expect(row, run.id).toBeDefined();
      expect(row?.name).toBe(run.name);
      expect(row?.status).toBe('RUNNING');
      expect(Number(row?.['config.optimizer.lr'])).toBe(run.lr);
      expect(row?.['config.optimizer.betas']).toBe('[0.9,0.95]');
      expect(row?.['params.lr']).toBe(String(run.lr));
      expect(row?.['source.commit']).toBe('abcdef1234567');
      expect(row?.['tags.note']).toBe('warm, then "cosine"');
      expect(Number(row?.['metrics.val_loss.last'])).toBe(run.valLoss.at(-1));
      expect(Number(row?.['metrics.val_loss.min'])).toBe(Math.min(...run.valLoss));
      expect(Number(row?.['metrics.val_loss.max'])).toBe(Math.max(...run.valLoss));
    }
    const bigRow = rows.find((r) => r.run_id === runs[0]?.id);
    expect(Number(bigRow?.['metrics.train/loss.last'])).toBe(1 / BIG);
    expect(Number(bigRow?.['metrics.train/loss.max'])).toBe(1);
    const warmup = rows.find((r) => r.name === 'warmup');
    expect(warmup?.['metrics.val_loss.last']).toBe('');
    expect(warmup?.['config.layers']).toBe('');
  });

  it('streams a 1M-point series as CSV and as Parquet, and a step range exactly', async () => {
    const runId = runs[0]?.id as string;
    let started = performance.now();
    const csv = await get(`/v1/export/runs/${runId}/metrics/train/loss.csv`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-disposition')).toBe(`attachment; filename="run-${runId}-train_loss.csv"`);
    let lines = 0;
    let head = '';
    let tail = '';
    const decoder = new TextDecoder();
    for await (const chunk of csv.body as unknown as AsyncIterable<Uint8Array>) {
      const text = decoder.decode(chunk, { stream: true });
      if (head.length < 200) head += text.slice(0, 200);
      tail = (tail + text).slice(-200);
      for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lines++;
    }
    const csvSeconds = (performance.now() - started) / 1000;
    expect(lines).toBe(BIG + 1);
    expect(head.split('\n')[0]).toBe('"step","timestamp","value"');
    expect(head.split('\n')[1]).toMatch(/^0,"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z",1$/);
    const last = parseCsv(tail.trimEnd().split('\n').at(-1) ?? '')[0] ?? [];
    expect(Number(last[0])).toBe(BIG - 1);
    expect(Number(last[2])).toBe(1 / BIG);

    started = performance.now();
    const parquet = await get(`/v1/export/runs/${runId}/metrics/train%2Floss.parquet`);
    expect(parquet.status).toBe(200);
    const bytes = Buffer.from(await parquet.arrayBuffer());
    const parquetSeconds = (performance.now() - started) / 1000;
    expect(bytes.subarray(0, 4).toString()).toBe('PAR1');
    expect(bytes.subarray(-4).toString()).toBe('PAR1');
    const file = path.join(platform.dataDir, 'series.parquet');
    writeFileSync(file, bytes);
    const read = JSON.parse(
      chdbQuery(`SELECT count() AS n, min(step) AS lo, max(step) AS hi, min(value) AS v FROM file('${file}', Parquet)`, 'JSON'),
    ) as { data: { n: string | number; lo: string | number; hi: string | number; v: number }[] };
    expect(read.data[0]).toMatchObject({ v: 1 / BIG });
    expect(Number(read.data[0]?.n)).toBe(BIG);
    expect(Number(read.data[0]?.hi)).toBe(BIG - 1);
    console.log(
      `export of ${BIG} points: CSV ${Math.round(BIG / csvSeconds)} rows/s (${csvSeconds.toFixed(2)} s), Parquet ${Math.round(BIG / parquetSeconds)} rows/s (${parquetSeconds.toFixed(2)} s, ${bytes.length} bytes)`,
    );

    const range = await get(`/v1/export/runs/${runId}/metrics/train/loss.csv?fromStep=1000&toStep=1999`);
    const rows = records(await range.text());
    expect(rows).toHaveLength(1000);
    expect(rows[0]?.step).toBe('1000');
    expect(rows.at(-1)?.step).toBe('1999');
  });

  it('refuses with a JSON code: no key 401, bad names 400, unknown or hidden 404', async () => {
    const runId = runs[0]?.id as string;
    const noKey = await get(`/v1/export/runs/${runId}/metrics/val_loss.csv`, null);
    expect(noKey.status).toBe(401);
    expect(((await noKey.json()) as { code: string }).code).toBe('UNAUTHENTICATED');

    const badName = await get(`/v1/export/runs/${runId}/metrics/bad%20name!.csv`);
    expect(badName.status).toBe(400);
    expect(((await badName.json()) as { code: string }).code).toBe('BAD_USER_INPUT');
    const badList = await get(`/v1/export/experiments/${experimentId}/runs.csv?metrics=ok,no%20way`);
    expect(badList.status).toBe(400);
    const badRange = await get(`/v1/export/runs/${runId}/metrics/val_loss.csv?fromStep=-1`);
    expect(badRange.status).toBe(400);
    const badFormat = await get(`/v1/export/runs/${runId}/metrics/val_loss.xlsx`);
    expect(badFormat.status).toBe(400);

    const never = await get(`/v1/export/runs/${runId}/metrics/never_logged.csv`);
    expect(never.status).toBe(404);
    expect(((await never.json()) as { code: string }).code).toBe('NOT_FOUND');

    // A user with a role in another project only: this project's run and experiment are not found.
    const user = await platform.gql<{ createUser: { id: string } }>(
      'mutation($i: CreateUserInput!) { createUser(input: $i) { id } }',
      { i: { email: 'outsider@lab.test', name: 'Outsider' } },
    );
    const userId = user.body.data?.createUser.id as string;
    const key = await platform.gql<{ createApiKey: { secret: string } }>(
      'mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { secret } }',
      { i: { name: 'outsider', userId } },
    );
    const secret = key.body.data?.createApiKey.secret as string;
    expect(secret, JSON.stringify(key.body.errors)).toBeTruthy();
    const hiddenRun = await get(`/v1/export/runs/${runId}/metrics/val_loss.csv`, secret);
    expect(hiddenRun.status).toBe(404);
    expect(((await hiddenRun.json()) as { code: string }).code).toBe('NOT_FOUND');
    const hiddenExperiment = await get(`/v1/export/experiments/${experimentId}/runs.csv`, secret);
    expect(hiddenExperiment.status).toBe(404);

    const unknown = await get('/v1/export/nothing/here.csv');
    expect(unknown.status).toBe(404);
  });
});
