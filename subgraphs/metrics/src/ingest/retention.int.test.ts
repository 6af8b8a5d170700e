/**
 * Importing history under a long retention (LAB_METRICS_RETENTION_DAYS=3650),
 * through both ingest paths of the metrics subgraph on chdb: points as old as
 * the retention keeps are stored with their own timestamps (nine years of
 * monthly points in one call, more months than one insert block allows by
 * default) and read back; an older point is refused with BAD_USER_INPUT
 * saying it is older than the retention, and nothing of its batch is stored.
 */
import { randomUUID } from 'node:crypto';
import { CONTEXT_HEADER, signContext } from '@lab/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMetrics, type TestMetrics } from '../testing/testMetrics';
import { INGEST_SIGNED_DOCUMENT } from './ndjsonRoute';

let t: TestMetrics;
const DAY = 86_400_000;
const LOG = `mutation($runId: ID!, $points: [MetricPointInput!]!) { logMetrics(runId: $runId, points: $points) { accepted } }`;
const SERIES = `query($id: ID!) { _entities(representations: [{ __typename: "Run", id: $id }]) { ... on Run {
  metricSeries(name: "loss", maxPoints: 1000) { logged exact points { step timestamp value } } } } }`;

/** One point a month (30 days apart), the oldest `months` months ago, timestamps as ISO strings. */
function history(months: number): { name: string; value: number; step: number; timestamp: string }[] {
  const now = Date.now();
  return Array.from({ length: months }, (_, step) => ({
    name: 'loss',
    value: 1 / (step + 1),
    step,
    timestamp: new Date(now - (months - step) * 30 * DAY).toISOString(),
  }));
}

async function ndjson(lines: Record<string, unknown>[]): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${t.metrics.url}/v1/metrics`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-ndjson',
      [CONTEXT_HEADER]: signContext(t.secret, { requestId: randomUUID(), caller: t.editor, query: INGEST_SIGNED_DOCUMENT }),
    },
    body: `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function readBack(runId: string) {
  const result = await t.gql(t.viewer, SERIES, { id: runId });
  expect(result.errors).toBeUndefined();
  return result.data._entities[0].metricSeries as {
    logged: boolean;
    exact: boolean;
    points: { step: number; timestamp: string }[];
  };
}

beforeAll(async () => {
  t = await startTestMetrics('retention', { LAB_METRICS_RETENTION_DAYS: '3650' });
}, 180_000);

afterAll(async () => {
  await t?.stop();
});

describe('ingest under LAB_METRICS_RETENTION_DAYS=3650', () => {
  it('stores nine years of history with its own timestamps, through logMetrics and POST /v1/metrics', async () => {
    const points = history(9 * 12 + 1);
    const viaGraphql = await t.newRun('graphql-history');
    const logged = await t.gql(t.editor, LOG, { runId: viaGraphql, points });
    expect(logged.errors).toBeUndefined();
    expect(logged.data.logMetrics.accepted).toBe(points.length);

    const viaStream = await t.newRun('stream-history');
    const streamed = await ndjson(points.map((p) => ({ runId: viaStream, ...p })));
    expect(streamed).toEqual({ status: 200, body: { accepted: points.length } });

    for (const runId of [viaGraphql, viaStream]) {
      const series = await readBack(runId);
      expect(series.exact).toBe(true);
      expect(series.points.map((p) => p.timestamp)).toEqual(points.map((p) => p.timestamp));
    }
  });

  it('refuses a point older than the retention with BAD_USER_INPUT saying so, storing nothing of the batch', async () => {
    const runId = await t.newRun('too-old');
    const old = new Date(Date.now() - 3651 * DAY).toISOString();
    const points = [
      { name: 'loss', value: 1, step: 0, timestamp: new Date(Date.now() - 3000 * DAY).toISOString() },
      { name: 'loss', value: 2, step: 1, timestamp: old },
    ];
    const reason = `timestamp ${old} is older than the retention of metric points (3650 days, LAB_METRICS_RETENTION_DAYS): it would be dropped`;

    const result = await t.gql(t.editor, LOG, { runId, points });
    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(result.errors?.[0]?.extensions?.errors).toEqual([{ index: 1, reason }]);
    expect(result.errors?.[0]?.message).toContain('older than the retention of metric points');

    const streamed = await ndjson(points.map((p) => ({ runId, ...p })));
    expect(streamed.status).toBe(400);
    expect(streamed.body).toMatchObject({ code: 'BAD_USER_INPUT', accepted: 0, errors: [{ line: 2, reason }] });
    expect(await readBack(runId)).toEqual({ logged: false, exact: true, points: [] });
  });
});
