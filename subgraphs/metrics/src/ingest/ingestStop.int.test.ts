/**
 * POST /v1/metrics while the metrics service stops: a stream still arriving at the stop's cutoff is
 * answered 503 SERVICE_UNAVAILABLE with Retry-After and the count of its first points stored, and the
 * service still stops within its bound.
 */
import { randomUUID } from 'node:crypto';
import { CONTEXT_HEADER, signContext, stopSchedule } from '@lab/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMetrics, type TestMetrics } from '../testing/testMetrics';
import { CHUNK_LINES } from './ndjsonLines';
import { INGEST_SIGNED_DOCUMENT } from './ndjsonRoute';

let t: TestMetrics;
beforeAll(async () => {
  t = await startTestMetrics('stop');
});
afterAll(async () => {
  await t?.stop();
});

describe('an ingest stream when the metrics service stops', () => {
  it('is answered 503 with Retry-After and what is stored, within the bound', async () => {
    const runId = await t.newRun('stopping');
    let sent = 0;
    let sending = true;
    const encoder = new TextEncoder();
    const lines = (n: number) => {
      let text = '';
      for (let i = 0; i < n; i++, sent++) text += `${JSON.stringify({ runId, name: 'loss', value: sent, step: sent })}\n`;
      return encoder.encode(text);
    };
    // A stream that would never end: a chunk and a half at once, then a trickle.
    const body = new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        if (sent < CHUNK_LINES + 5000) return controller.enqueue(lines(5000));
        await new Promise((r) => setTimeout(r, 100));
        if (sending) controller.enqueue(lines(10));
        else controller.close();
      },
    });
    const answer = fetch(`${t.metrics.url}/v1/metrics`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-ndjson',
        [CONTEXT_HEADER]: signContext(t.secret, { requestId: randomUUID(), caller: t.editor, query: INGEST_SIGNED_DOCUMENT }),
      },
      body,
      duplex: 'half',
    } as RequestInit);
    const deadline = Date.now() + 30_000;
    while ((await t.metrics.store.ingest.countRun(runId)) < CHUNK_LINES && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }

    const started = Date.now();
    const stopped = t.metrics.stop(stopSchedule(4000));
    const reply = await answer;
    sending = false;
    await stopped;
    expect(Date.now() - started).toBeLessThan(5000);
    expect(reply.status).toBe(503);
    expect(Number(reply.headers.get('retry-after'))).toBeGreaterThan(0);
    const told = (await reply.json()) as { code: string; accepted: number };
    expect(told.code).toBe('SERVICE_UNAVAILABLE');
    expect(told.accepted).toBeGreaterThanOrEqual(CHUNK_LINES);
    expect(told.accepted).toBeLessThanOrEqual(sent);
  });
});
