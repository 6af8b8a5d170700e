/**
 * The gateway when a subgraph goes away, and what it tells about itself: a
 * query mixing registry and metrics fields keeps the registry's answer while
 * the metrics fields carry SERVICE_UNAVAILABLE naming the service; /health
 * says metrics is down; /metrics counts it all; request ids reach the
 * subgraphs' logs; every operation lands in ClickHouse's api_usage table
 * through the metrics subgraph.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createClickHouse } from '@lab/metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, getHealth, startTestPlatform, TEST_ADMIN_KEY, type TestPlatform } from './support/testPlatform';

const TOKEN = 'e2e-metrics-token-0123456789';
const MIXED = 'query Mixed($id: ID!) { run(id: $id) { id name metrics { name last } } }';

describe('the gateway with a subgraph down, and its observability', () => {
  let platform: TestPlatform;
  let runId: string;
  const sentIds: string[] = [];

  async function scrape(): Promise<string> {
    const response = await fetch(`${platform.gatewayUrl}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(response.status).toBe(200);
    return response.text();
  }
  const sample = (text: string, line: string) =>
    Number(
      text
        .split('\n')
        .find((l) => l.startsWith(`${line} `))
        ?.split(' ')[1] ?? 0,
    );
  const logLines = (service: string) =>
    readFileSync(path.join(platform.dataDir, 'logs', `${service}.log`), 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);

  beforeAll(async () => {
    platform = await startTestPlatform({ env: { LAB_METRICS_TOKEN: TOKEN } });
    ({ runId } = await platform.newRun({ project: 'resilience-e2e', experiment: 'e', run: 'train' }));
    expect(runId).toBeTruthy();
  });
  afterAll(async () => {
    await platform?.stop();
  });

  it('answers a mixed query whole while every subgraph is up; the request id reaches both subgraphs’ logs', async () => {
    const requestId = 'e2e-mixed-up';
    const res = await platform.gql(MIXED, { id: runId }, { headers: { 'x-request-id': requestId } });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data).toEqual({ run: { id: runId, name: 'train', metrics: [] } });
    sentIds.push(requestId);
    await eventually(async () => {
      for (const service of ['gateway', 'registry', 'metrics']) {
        expect(logLines(service), service).toContainEqual(expect.objectContaining({ requestId }));
      }
    });
  });

  it('serves /metrics to the scrape token only, with the operations and subgraph fetches', async () => {
    expect((await fetch(`${platform.gatewayUrl}/metrics`)).status).toBe(401);
    const unauthorized = await fetch(`${platform.gatewayUrl}/metrics`, {
      headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` },
    });
    expect(unauthorized.status).toBe(401);
    const text = await scrape();
    expect(sample(text, 'lab_gateway_operations_total{operation="Mixed",type="query"}')).toBe(1);
    expect(sample(text, 'lab_gateway_subgraph_requests_total{subgraph="metrics"}')).toBeGreaterThanOrEqual(1);
    expect(text).toContain('process_resident_memory_bytes');
  });

  it('records every operation in api_usage through the metrics subgraph', async () => {
    for (const requestId of ['e2e-usage-1', 'e2e-usage-2']) {
      await platform.gql('query UsageCheck { me { id } }', undefined, { headers: { 'x-request-id': requestId } });
      sentIds.push(requestId);
    }
    // Everything recorded so far (the setup mutations too) has reached the metrics subgraph.
    await eventually(async () => {
      const text = await scrape();
      expect(sample(text, 'lab_gateway_api_usage_records_sent_total')).toBeGreaterThanOrEqual(6);
      expect(sample(text, 'lab_gateway_api_usage_records_buffered')).toBe(0);
    });
  });

  it('keeps the registry fields when metrics is down; the metrics field carries SERVICE_UNAVAILABLE naming it', async () => {
    await platform.services.metrics.stop();
    const res = await platform.gql(MIXED, { id: runId }, { headers: { 'x-request-id': 'e2e-mixed-down' } });
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ run: { id: runId, name: 'train', metrics: null } });
    expect(res.body.errors).toHaveLength(1);
    expect(res.body.errors?.[0]).toMatchObject({
      message: 'Subgraph metrics is unavailable',
      path: ['run', 'metrics'],
      extensions: { code: 'SERVICE_UNAVAILABLE', service: 'metrics' },
    });

    const health = await getHealth(platform);
    expect(health.status).toBe(503);
    expect(health.body.components.metrics?.status).toBe('down');
    expect(health.body.components.clickhouse?.status).toBe('down');
    expect(health.body.components.registry?.status).toBe('up');
    expect(health.body.components.postgresql?.status).toBe('up');

    const text = await scrape();
    expect(
      sample(text, 'lab_gateway_subgraph_errors_total{subgraph="metrics",code="SERVICE_UNAVAILABLE"}'),
    ).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'lab_gateway_operation_errors_total{operation="Mixed",type="query",code="SERVICE_UNAVAILABLE"}')).toBe(1);
    // The usage of this request waits in the gateway, its sends retried with backoff.
    await eventually(async () => {
      const now = await scrape();
      expect(sample(now, 'lab_gateway_api_usage_send_retries_total')).toBeGreaterThanOrEqual(1);
      expect(sample(now, 'lab_gateway_api_usage_records_buffered')).toBeGreaterThanOrEqual(1);
    });
  });

  it('stored the operations sent before in api_usage (read from ClickHouse once metrics is gone)', async () => {
    const clickhouse = await createClickHouse(platform.config);
    try {
      const result = await clickhouse.query({
        query: `SELECT request_id, caller_id, operation_name, operation_type, status, error_code, duration_ms
FROM ${platform.config.clickhouse.database}.api_usage WHERE request_id IN {ids:Array(String)} ORDER BY timestamp`,
        query_params: { ids: sentIds },
        format: 'JSONEachRow',
      });
      const rows = await result.json<Record<string, unknown>>();
      expect(rows.map((r) => r.request_id)).toEqual(sentIds);
      expect(rows[0]).toMatchObject({ operation_name: 'Mixed', operation_type: 'query', status: 'ok', error_code: '' });
      expect(rows[1]).toMatchObject({ operation_name: 'UsageCheck', caller_id: expect.any(String) });
      for (const row of rows) expect(Number(row.duration_ms)).toBeGreaterThan(0);
    } finally {
      await clickhouse.close();
    }
  });
});
