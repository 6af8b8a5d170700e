/**
 * Exactly-once retries of metric ingestion on chdb, with a real registry
 * answering the run lookups: points sent without timestamps (the server fills
 * "now") and retried with the same idempotency key are stored once, with the
 * first attempt's timestamps, and a retry reaches no live stream; another key
 * stores them again; the same key with other points is a CONFLICT. The same
 * for POST /v1/metrics with an Idempotency-Key, chunk by chunk.
 */
import { randomUUID } from 'node:crypto';
import { type Caller, CONTEXT_HEADER, signContext } from '@lab/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MetricRow } from '../store/types';
import { startTestMetrics, type TestMetrics } from '../testing/testMetrics';
import { CHUNK_LINES } from './ndjsonLines';
import { INGEST_SIGNED_DOCUMENT } from './ndjsonRoute';
import { chunkToken, pointsDigest } from './tokens';

const LOG = `mutation($runId: ID!, $points: [MetricPointInput!]!, $key: String) {
  logMetrics(runId: $runId, points: $points, idempotencyKey: $key) { accepted duplicate }
}`;

let t: TestMetrics;

beforeAll(async () => {
  t = await startTestMetrics('idempotency');
}, 120_000);

afterAll(async () => {
  await t?.stop();
});

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const count = (run: string) => t.metrics.store.ingest.countRun(run);
/** The stored timestamps of a run, in (metric, step) order. */
const timestamps = async (run: string) => (await t.metrics.store.ingest.rowsOfRun(run, 100_000)).map((r) => r.timestamp);

/** Rows handed to live streams while `work` runs. */
async function streamed(work: () => Promise<unknown>): Promise<number> {
  let rows = 0;
  t.metrics.store.ingest.onInserted = (r: readonly MetricRow[]) => {
    rows += r.length;
    t.metrics.streams.publish(r);
  };
  try {
    await work();
  } finally {
    t.metrics.store.ingest.onInserted = (r) => t.metrics.streams.publish(r);
  }
  return rows;
}

const untimed = (n: number, value = (step: number) => step / 7) =>
  Array.from({ length: n }, (_, step) => ({ name: 'loss', value: value(step), step }));

async function logMetrics(run: string, points: unknown[], key?: string) {
  return t.gql(t.editor, LOG, { runId: run, points, ...(key ? { key } : {}) });
}

async function ndjson(caller: Caller, body: string, key?: string) {
  const res = await fetch(`${t.metrics.url}/v1/metrics`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-ndjson',
      [CONTEXT_HEADER]: signContext(t.secret, { requestId: randomUUID(), caller, query: INGEST_SIGNED_DOCUMENT }),
      ...(key ? { 'idempotency-key': key } : {}),
    },
    body,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const untimedLines = (run: string, n: number, value = (step: number) => step / 3) =>
  `${Array.from({ length: n }, (_, step) => JSON.stringify({ runId: run, name: 'acc', value: value(step), step })).join('\n')}\n`;

describe('Mutation.logMetrics with an idempotency key', () => {
  it('stores points without timestamps once when retried, with the first attempt’s timestamps, and streams them once', async () => {
    const run = await t.newRun('untimed-retry');
    const points = untimed(300);
    const first = await logMetrics(run, points, 'train-step-300');
    expect(first.errors).toBeUndefined();
    expect(first.data.logMetrics.accepted).toBe(300);
    const stored = await timestamps(run);
    expect(stored).toHaveLength(300);
    await pause(25); // the retry's "now" is another millisecond
    let retry: Awaited<ReturnType<typeof logMetrics>> | undefined;
    const rows = await streamed(async () => {
      retry = await logMetrics(run, points, 'train-step-300');
    });
    expect(retry?.errors).toBeUndefined();
    expect(retry?.data.logMetrics).toEqual({ accepted: 300, duplicate: true });
    expect(rows).toBe(0);
    expect(await count(run)).toBe(300);
    expect(await timestamps(run)).toEqual(stored);
  });

  it('stores the same points again under another key, or without one', async () => {
    const run = await t.newRun('untimed-keys');
    const points = untimed(40);
    expect((await logMetrics(run, points, 'a')).data.logMetrics.accepted).toBe(40);
    expect((await logMetrics(run, points, 'b')).data.logMetrics.accepted).toBe(40);
    expect(await count(run)).toBe(80);
    await logMetrics(run, points);
    await logMetrics(run, points);
    expect(await count(run)).toBe(160);
  });

  it('answers CONFLICT for other points under the same key, storing nothing of them', async () => {
    const run = await t.newRun('untimed-conflict');
    expect((await logMetrics(run, untimed(10), 'k')).data.logMetrics.accepted).toBe(10);
    for (const other of [untimed(10, (s) => s + 1), untimed(11), [{ ...untimed(1)[0], timestamp: new Date().toISOString() }]]) {
      const answer = await logMetrics(run, other, 'k');
      expect(answer.errors?.[0]?.extensions).toMatchObject({
        code: 'CONFLICT',
        reason: 'IDEMPOTENCY_KEY_REUSED',
        idempotencyKey: 'k',
      });
    }
    expect(await count(run)).toBe(10);
    // Keys are per run: the same key on another run is another key.
    const other = await t.newRun('untimed-conflict-2');
    expect((await logMetrics(other, untimed(5), 'k')).data.logMetrics.accepted).toBe(5);
  });

  it('stores once when an attempt inserted but did not record its key (it died in between): the insert token', async () => {
    const run = await t.newRun('untimed-lost-record');
    const points = untimed(20);
    // What the first attempt stored before dying: its rows at its "now", under the token of the points as sent.
    const then = Date.now() - 60_000;
    const rows: MetricRow[] = points.map((p) => ({
      ...p,
      timestampMs: then,
      tags: {},
      runId: run,
      experimentId: t.experimentId,
    }));
    await t.metrics.store.ingest.insert(rows, chunkToken('graphql', t.editor.id, `${run}:lost`, 0, pointsDigest(points)));
    const retry = await logMetrics(run, points, 'lost');
    expect(retry.errors).toBeUndefined();
    expect(await count(run)).toBe(20);
    expect(new Set(await timestamps(run))).toEqual(new Set([new Date(then).toISOString().replace('T', ' ').replace('Z', '')]));
  });
});

describe('POST /v1/metrics with an Idempotency-Key', () => {
  it('stores a stream of lines without timestamps once when retried, every chunk with the first attempt’s timestamps', async () => {
    const run = await t.newRun('stream-untimed');
    const n = CHUNK_LINES + 500;
    const body = untimedLines(run, n);
    expect(await ndjson(t.editor, body, 'stream-untimed')).toEqual({ status: 200, body: { accepted: n } });
    const stored = await timestamps(run);
    expect(stored).toHaveLength(n);
    await pause(25);
    let retry: Awaited<ReturnType<typeof ndjson>> | undefined;
    const rows = await streamed(async () => {
      retry = await ndjson(t.editor, body, 'stream-untimed');
    });
    expect(retry).toEqual({ status: 200, body: { accepted: n } });
    expect(rows).toBe(0);
    expect(await count(run)).toBe(n);
    expect(await timestamps(run)).toEqual(stored);
    // Another key stores them again.
    expect(await ndjson(t.editor, body, 'stream-untimed-2')).toEqual({ status: 200, body: { accepted: n } });
    expect(await count(run)).toBe(2 * n);
  });

  it('answers 409 CONFLICT at the first chunk whose lines differ under the key, the chunks before it stored once', async () => {
    const run = await t.newRun('stream-conflict');
    const n = CHUNK_LINES + 10;
    expect(await ndjson(t.editor, untimedLines(run, n), 'stream-k')).toEqual({ status: 200, body: { accepted: n } });
    // The same first chunk, another second one.
    const other = untimedLines(run, n, (step) => (step < CHUNK_LINES ? step / 3 : -step));
    const answer = await ndjson(t.editor, other, 'stream-k');
    expect(answer.status).toBe(409);
    expect(answer.body).toMatchObject({ code: 'CONFLICT', reason: 'IDEMPOTENCY_KEY_REUSED', accepted: CHUNK_LINES });
    expect(answer.body.message).toMatch(/chunk 1/);
    expect(await count(run)).toBe(n);
  });
});
