/**
 * Metrics ingestion end to end in one process: chdb in a temp dir, and a real
 * registry subgraph (its service over an embedded PostgreSQL) answering the
 * run lookups and write-permission checks.
 */
import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { type Caller, CONTEXT_HEADER, signContext } from '@lab/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningMetrics } from '../service';
import type { MetricRow } from '../store/types';
import { startTestMetrics, type TestMetrics } from '../testing/testMetrics';
import { CHUNK_LINES } from './ndjsonLines';
import { INGEST_SIGNED_DOCUMENT } from './ndjsonRoute';

let t: TestMetrics;
let secret: string;
let metrics: RunningMetrics;
let editor: Caller;
let viewer: Caller;
let runId: string;
let experimentId: string;

const LOG = `mutation($runId: ID!, $points: [MetricPointInput!]!, $key: String) {
  logMetrics(runId: $runId, points: $points, idempotencyKey: $key) { accepted duplicate }
}`;

interface GqlResult {
  data?: { logMetrics?: { accepted: number; duplicate: boolean | null } } | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

async function gql(caller: Caller, variables: Record<string, unknown>, rawBody?: string): Promise<GqlResult> {
  const res = await fetch(`${metrics.url}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      [CONTEXT_HEADER]: signContext(secret, { requestId: randomUUID(), caller, query: LOG }),
    },
    body: rawBody ?? JSON.stringify({ query: LOG, variables }),
  });
  return (await res.json()) as GqlResult;
}

async function ndjson(caller: Caller, body: string | Buffer, headers: Record<string, string> = {}, gzip = true) {
  const res = await fetch(`${metrics.url}/v1/metrics`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-ndjson',
      ...(gzip ? { 'content-encoding': 'gzip' } : {}),
      [CONTEXT_HEADER]: signContext(secret, { requestId: randomUUID(), caller, query: INGEST_SIGNED_DOCUMENT }),
      ...headers,
    },
    body: gzip && typeof body === 'string' ? gzipSync(body) : body,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const count = (id: string) => metrics.store.ingest.countRun(id);

const newRun = (name: string) => t.newRun(name);

/** Timestamps are fixed per file: a retry must resend the same points to be recognised. */
const T0 = Date.now();

function lines(run: string, n: number, bad?: number): string {
  const out: string[] = [];
  const now = T0;
  for (let i = 1; i <= n; i++) {
    out.push(
      i === bad
        ? JSON.stringify({ runId: run, name: 'loss', value: 'NaN', step: i })
        : JSON.stringify({ runId: run, name: i % 2 ? 'loss' : 'acc', value: i / 7, step: i, timestamp: now - i }),
    );
  }
  return `${out.join('\n')}\n`;
}

beforeAll(async () => {
  t = await startTestMetrics('ingest', {}, { countRegistryCalls: true });
  ({ secret, metrics, editor, viewer, experimentId } = t);
  runId = await newRun('run');
}, 120_000);

afterAll(async () => {
  await t?.stop();
});

describe('Mutation.logMetrics', () => {
  it('stores a valid batch with its values, experiment and tags', async () => {
    const run = await newRun('valid');
    const points = [
      {
        name: 'train/loss',
        value: 0.75,
        step: 0,
        timestamp: '2026-11-25T10:00:00.125Z',
        tags: [{ key: 'split', value: 'train' }],
      },
      { name: 'train/loss', value: 0.5, step: 1 },
      { name: 'val.acc', value: -3e-7, step: 2 ** 40 },
    ];
    const result = await gql(editor, { runId: run, points });
    expect(result.errors).toBeUndefined();
    expect(result.data?.logMetrics).toMatchObject({ accepted: 3 });
    expect(await count(run)).toBe(3);
    const rows = await metrics.store.ingest.rowsOfRun(run);
    expect(rows[0]).toMatchObject({ metric_name: 'train/loss', metric_value: 0.75, experiment_id: experimentId });
    expect(rows.map((r) => Number(r.step))).toEqual([0, 1, 2 ** 40]);
    expect(rows[0]?.timestamp).toBe('2026-11-25 10:00:00.125');
    expect(rows[0]?.tags).toEqual({ split: 'train' });
    expect(rows[2]).toMatchObject({ metric_name: 'val.acc', metric_value: -3e-7 });
  });

  it('rejects a non-finite value naming the point, storing nothing', async () => {
    const run = await newRun('nan');
    const query = LOG;
    // JSON has no NaN: a literal overflowing to Infinity is the closest a client can send.
    const raw = `{"query":${JSON.stringify(query)},"variables":{"runId":"${run}","points":[{"name":"a","value":1,"step":0},{"name":"a","value":1e999,"step":1}]}}`;
    const result = await gql(editor, {}, raw);
    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(result.errors?.[0]?.message).toMatch(/points\[1\]\.value/);
    expect(await count(run)).toBe(0);
  });

  it('rejects bad names, steps and timestamps with every index and reason, storing nothing', async () => {
    const run = await newRun('bad');
    const points = [
      { name: 'ok', value: 1, step: 0 },
      { name: 'bad name!', value: 1, step: 1 },
      { name: 'ok', value: 1, step: -1 },
      { name: 'ok', value: 1, step: 1.5 },
      { name: 'ok', value: 1, step: 4, timestamp: '2001-01-01T00:00:00Z' },
      { name: 'ok', value: 1, step: 5, timestamp: 'soon' },
    ];
    const result = await gql(editor, { runId: run, points });
    const error = result.errors?.[0];
    expect(error?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(error?.extensions?.errorCount).toBe(5);
    const errors = error?.extensions?.errors as { index: number; reason: string }[];
    expect(errors.map((e) => e.index)).toEqual([1, 2, 3, 4, 5]);
    expect(errors[0]?.reason).toMatch(/name/);
    expect(errors[1]?.reason).toMatch(/step/);
    expect(errors[3]?.reason).toMatch(/older/);
    expect(errors[4]?.reason).toMatch(/ISO-8601/);
    expect(await count(run)).toBe(0);
  });

  it('refuses more than 10,000 points', async () => {
    const points = Array.from({ length: 10_001 }, (_, step) => ({ name: 'x', value: 1, step }));
    const result = await gql(editor, { runId, points });
    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(result.errors?.[0]?.message).toMatch(/10000|10,000/);
  });

  it('answers NOT_FOUND for an unknown run and FORBIDDEN for a viewer', async () => {
    const points = [{ name: 'x', value: 1, step: 0 }];
    const unknown = await gql(editor, { runId: randomUUID(), points });
    expect(unknown.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const run = await newRun('viewer');
    const forbidden = await gql(viewer, { runId: run, points });
    expect(forbidden.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(await count(run)).toBe(0);
  });

  it('stores a retried batch once per idempotency key, and twice without one', async () => {
    const run = await newRun('retry');
    const points = Array.from({ length: 500 }, (_, step) => ({
      name: 'loss',
      value: step / 3,
      step,
      timestamp: '2026-11-20T00:00:00Z',
    }));
    const first = await gql(editor, { runId: run, points, key: 'batch-1' });
    const second = await gql(editor, { runId: run, points, key: 'batch-1' });
    expect(first.data?.logMetrics?.accepted).toBe(500);
    expect(second.data?.logMetrics?.accepted).toBe(500);
    // The key's record says the retry was stored before.
    expect(second.data?.logMetrics?.duplicate).toBe(true);
    expect(await count(run)).toBe(500);
    await gql(editor, { runId: run, points: points.slice(0, 10) });
    await gql(editor, { runId: run, points: points.slice(0, 10) });
    expect(await count(run)).toBe(520);
  });
});

describe('POST /v1/metrics', () => {
  it('refuses a request not signed for the route', async () => {
    const res = await fetch(`${metrics.url}/v1/metrics`, {
      method: 'POST',
      headers: { [CONTEXT_HEADER]: signContext(secret, { requestId: 'r', caller: editor, query: '{ x }' }) },
      body: lines(runId, 1),
    });
    expect(res.status).toBe(401);
  });

  it('stores a gzip NDJSON stream of 200,000 lines, and a retry with the same key adds nothing', async () => {
    const run = await newRun('stream');
    const body = gzipSync(lines(run, 200_000));
    const started = performance.now();
    const first = await ndjson(editor, body, { 'idempotency-key': 'stream-1' });
    const seconds = (performance.now() - started) / 1000;
    expect(first).toEqual({ status: 200, body: { accepted: 200_000 } });
    expect(await count(run)).toBe(200_000);
    console.log(
      `POST /v1/metrics: 200,000 gzip NDJSON lines (${(body.length / 1e6).toFixed(1)} MB) in ${seconds.toFixed(2)} s (${Math.round(200_000 / seconds)} rows/s)`,
    );
    const retry = await ndjson(editor, body, { 'idempotency-key': 'stream-1' });
    expect(retry).toEqual({ status: 200, body: { accepted: 200_000 } });
    expect(await count(run)).toBe(200_000);
  });

  it('answers 400 naming a bad line, keeps the chunks before it, and a fixed retry completes without duplicates', async () => {
    const run = await newRun('bad-line');
    const bad = await ndjson(editor, lines(run, 120_000, 70_001), { 'idempotency-key': 'stream-2' });
    expect(bad.status).toBe(400);
    expect(bad.body.accepted).toBe(50_000);
    expect(bad.body.errors).toEqual([{ line: 70_001, reason: expect.stringMatching(/finite/) }]);
    expect(await count(run)).toBe(50_000);
    const fixed = await ndjson(editor, lines(run, 120_000), { 'idempotency-key': 'stream-2' });
    expect(fixed).toEqual({ status: 200, body: { accepted: 120_000 } });
    expect(await count(run)).toBe(120_000);
  });

  it('names lines of unknown or read-only runs, and accepts plain (not gzip) bodies', async () => {
    const run = await newRun('plain');
    const body = `${JSON.stringify({ runId: run, name: 'a', value: 1, step: 0 })}\n${JSON.stringify({ runId: randomUUID(), name: 'a', value: 1, step: 1 })}\nnot json\n`;
    const res = await ndjson(editor, body, {}, false);
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      { line: 2, reason: expect.stringMatching(/not found/) },
      { line: 3, reason: 'not valid JSON' },
    ]);
    const viewerRes = await ndjson(viewer, lines(run, 3), {}, false);
    expect(viewerRes.status).toBe(400);
    expect((viewerRes.body.errors as { reason: string }[])[0]?.reason).toMatch(/no write access/);
    expect(await count(run)).toBe(0);
    expect(await ndjson(editor, lines(run, 3), {}, false)).toEqual({ status: 200, body: { accepted: 3 } });
  });

  it('inserts one chunk while validating the next, at most one at a time; a failed insert stops the stream', async () => {
    const run = await newRun('pipelined');
    const store = metrics.store.ingest;
    const insert = store.insert.bind(store);
    let calls = 0;
    let inFlight = 0;
    let maxInFlight = 0;
    store.insert = async (batch, token) => {
      calls++;
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        if (calls === 2) throw new Error('disk full');
        return await insert(batch, token);
      } finally {
        inFlight--;
      }
    };
    try {
      const res = await ndjson(editor, lines(run, 3 * CHUNK_LINES + 100));
      expect(res).toEqual({ status: 500, body: { code: 'INTERNAL', message: expect.any(String), accepted: CHUNK_LINES } });
      expect(calls).toBe(2);
      expect(maxInFlight).toBe(1);
      expect(await count(run)).toBe(CHUNK_LINES);
    } finally {
      store.insert = insert;
    }
  });
});

describe('registry calls', () => {
  /** The calls the metrics service makes to the registry while `work` runs. */
  async function registryCallsOf(work: () => Promise<unknown>): Promise<(string | undefined)[]> {
    const before = t.registryCalls.length;
    await work();
    return t.registryCalls.slice(before).map((c) => c.operationName);
  }

  it('one per ingest request: runs, experiments and write rights in one lookup, kept for later chunks', async () => {
    const [a, b] = [await newRun('calls-a'), await newRun('calls-b')];
    const body = lines(b, 10) + lines(a, CHUNK_LINES + 10);
    const streamed = await registryCallsOf(async () => expect((await ndjson(editor, body)).status).toBe(200));
    expect(streamed).toEqual(['Ownership']);
    const logged = await registryCallsOf(async () =>
      expect((await gql(editor, { runId: a, points: [{ name: 'x', value: 1, step: 0 }] })).errors).toBeUndefined(),
    );
    expect(logged).toEqual(['Ownership']);
    expect(await count(b)).toBe(10);
  });

  it('asks again on the next request: rights are those of the moment', async () => {
    const run = await newRun('calls-revoked');
    expect((await ndjson(editor, lines(run, 2))).status).toBe(200);
    await t.prisma.projectMember.updateMany({ where: { userId: editor.id }, data: { role: 'VIEWER' } });
    try {
      const refused = await registryCallsOf(async () => expect((await ndjson(editor, lines(run, 2))).status).toBe(400));
      expect(refused).toEqual(['Ownership']);
    } finally {
      await t.prisma.projectMember.updateMany({ where: { userId: editor.id }, data: { role: 'EDITOR' } });
    }
  });
});

describe('IngestStore', () => {
  it('stores every field as given: millisecond timestamps, extreme values, tags that need escaping; onInserted sees the rows', async () => {
    const run = await newRun('encoding');
    const base = Date.UTC(2026, 10, 1, 12, 0, 0);
    const rows: MetricRow[] = [0, 5, 50, 999].map((ms, i) => ({
      runId: run,
      experimentId,
      name: `m/${i}`,
      step: i === 3 ? Number.MAX_SAFE_INTEGER : i,
      value: [1e-7, -0.5, 1.7976931348623157e308, -123456789.125][i] as number,
      timestampMs: base + ms,
      tags: (i === 2 ? { 'quote"key': 'line\nbreak \\ "é" \u2028' } : {}) as Record<string, string>,
    }));
    const seen: (readonly MetricRow[])[] = [];
    metrics.store.ingest.onInserted = (r) => seen.push(r);
    try {
      await metrics.store.ingest.insert(rows, undefined);
    } finally {
      metrics.store.ingest.onInserted = undefined;
    }
    expect(seen).toEqual([rows]);
    const stored = await metrics.store.ingest.rowsOfRun(run);
    expect(
      stored.map((r) => ({ t: r.timestamp, name: r.metric_name, step: String(r.step), value: r.metric_value, tags: r.tags })),
    ).toEqual(
      rows.map((r) => ({
        t: new Date(r.timestampMs).toISOString().replace('T', ' ').replace('Z', ''),
        name: r.name,
        step: String(r.step),
        value: r.value,
        tags: r.tags,
      })),
    );
  });
});
