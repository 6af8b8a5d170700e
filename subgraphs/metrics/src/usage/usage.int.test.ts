/**
 * POST /internal/api-usage against chdb: the gateway's batches land in
 * api_usage, one insert each; only a service caller signed for the route may
 * send them; a bad batch is refused whole.
 */
import { randomUUID } from 'node:crypto';
import {
  API_USAGE_PATH,
  API_USAGE_SIGNED_DOCUMENT,
  type ApiUsageRecord,
  type Caller,
  CONTEXT_HEADER,
  signContext,
} from '@lab/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMetrics, type TestMetrics } from '../testing/testMetrics';

const GATEWAY: Caller = { id: 'gateway', kind: 'service', scopes: ['*'] };
let t: TestMetrics;

beforeAll(async () => {
  t = await startTestMetrics('usage');
});
afterAll(async () => {
  await t?.stop();
});

function record(overrides: Partial<ApiUsageRecord> = {}): ApiUsageRecord {
  return {
    timestampMs: Date.now(),
    requestId: randomUUID(),
    callerId: t.editor.id,
    operationName: 'RunPage',
    operationType: 'query',
    durationMs: 12.5,
    status: 'ok',
    errorCode: '',
    ...overrides,
  };
}

async function send(body: unknown, caller: Caller = GATEWAY, document = API_USAGE_SIGNED_DOCUMENT) {
  const res = await fetch(`${t.metrics.url}${API_USAGE_PATH}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      [CONTEXT_HEADER]: signContext(t.secret, { requestId: randomUUID(), caller, query: document }),
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('POST /internal/api-usage', () => {
  it('stores a batch in api_usage, every column', async () => {
    const ok = record();
    const failed = record({
      operationName: '',
      operationType: 'mutation',
      durationMs: 3,
      status: 'partial',
      errorCode: 'SERVICE_UNAVAILABLE',
    });
    const res = await send({ batchId: randomUUID(), records: [ok, failed] });
    expect(res).toEqual({ status: 200, body: { stored: 2 } });
    const rows = await t.metrics.store.usage.byRequestIds([ok.requestId, failed.requestId]);
    expect(rows).toHaveLength(2);
    const byId = new Map(rows.map((r) => [r.request_id, r]));
    expect(byId.get(ok.requestId)).toMatchObject({
      caller_id: t.editor.id,
      operation_name: 'RunPage',
      operation_type: 'query',
      duration_ms: 12.5,
      status: 'ok',
      error_code: '',
    });
    expect(new Date(`${byId.get(ok.requestId)?.timestamp}Z`).getTime()).toBe(ok.timestampMs);
    expect(byId.get(failed.requestId)).toMatchObject({
      operation_name: '',
      operation_type: 'mutation',
      status: 'partial',
      error_code: 'SERVICE_UNAVAILABLE',
    });
  });

  it('stores a 10,000-record batch in one request', async () => {
    const requestId = randomUUID();
    const records = Array.from({ length: 10_000 }, (_, i) => record({ requestId: `${requestId}-${i % 3}` }));
    const started = performance.now();
    const res = await send({ batchId: randomUUID(), records });
    const ms = performance.now() - started;
    expect(res.status).toBe(200);
    const rows = await t.metrics.store.usage.byRequestIds([0, 1, 2].map((i) => `${requestId}-${i}`));
    expect(rows).toHaveLength(10_000);
    console.log(`api usage: 10,000 records stored in ${Math.round(ms)} ms`);
  });

  it('stores a retried batch once (same batch id; migration 4 gives api_usage a deduplication window)', async () => {
    const batch = { batchId: randomUUID(), records: [record(), record()] };
    expect((await send(batch)).status).toBe(200);
    expect((await send(batch)).status).toBe(200);
    const ids = batch.records.map((r) => r.requestId);
    expect(await t.metrics.store.usage.byRequestIds(ids)).toHaveLength(2);
    // Another batch id with the same records is another batch: stored.
    expect((await send({ ...batch, batchId: randomUUID() })).status).toBe(200);
    expect(await t.metrics.store.usage.byRequestIds(ids)).toHaveLength(4);
  });

  it('refuses callers other than the gateway service, and contexts signed for another route', async () => {
    const body = { batchId: randomUUID(), records: [record()] };
    expect((await send(body, t.editor)).status).toBe(401);
    expect((await send(body, GATEWAY, 'POST /v1/metrics')).status).toBe(401);
    const unsigned = await fetch(`${t.metrics.url}${API_USAGE_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(unsigned.status).toBe(401);
    expect(await t.metrics.store.usage.byRequestIds([body.records[0]?.requestId as string])).toEqual([]);
  });

  it('refuses a batch with a bad record whole, naming it', async () => {
    const good = record();
    const res = await send({
      batchId: randomUUID(),
      records: [good, record({ durationMs: Number.NaN }), record({ operationType: 'drop table' })],
    });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({
      code: 'BAD_USER_INPUT',
      errorCount: 2,
      errors: [
        { index: 1, reason: 'durationMs must be a finite number ≥ 0' },
        { index: 2, reason: expect.stringMatching(/^operationType must be one of/) },
      ],
    });
    expect(await t.metrics.store.usage.byRequestIds([good.requestId])).toEqual([]);
    expect((await send('{"batchId":')).status).toBe(400);
    expect((await send({ batchId: 'x', records: 'nope' })).status).toBe(400);
  });
});
