/** The metrics service end to end in one process: chdb in a fresh temp dir, the subgraph on a free port. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CONTEXT_HEADER, createLogger, loadConfig, signContext } from '@lab/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningMetrics, startMetrics } from './service';

const dataDir = mkdtempSync(path.join(tmpdir(), 'metrics-service-'));
const secret = 'x'.repeat(32);
const config = loadConfig({ LAB_DATA_DIR: dataDir, LAB_INTERNAL_SECRET: secret, METRICS_PORT: '0', LOG_LEVEL: 'silent' });
const log = createLogger('metrics', config);
let running: RunningMetrics;

async function gql(query: string, signed = true) {
  const caller = { id: 'test', kind: 'service' as const, scopes: ['*'] };
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (signed) headers[CONTEXT_HEADER] = signContext(secret, { requestId: 'req-1', caller, query });
  const res = await fetch(`${running.url}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query }) });
  return { status: res.status, body: (await res.json()) as { data?: Record<string, unknown>; errors?: unknown[] } };
}

beforeAll(async () => {
  running = await startMetrics(config, log);
});

afterAll(async () => {
  await running?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('metrics service on chdb', () => {
  it('keeps its data under LAB_DATA_DIR/clickhouse', () => {
    expect(config.clickhouse.embeddedPath).toBe(path.join(dataDir, 'clickhouse'));
  });

  it('answers metricsStatus from the embedded engine', async () => {
    const { status, body } = await gql('{ metricsStatus { service store serverVersion latencyMs } }');
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(body.data?.metricsStatus).toMatchObject({ service: 'metrics', store: 'chdb (embedded ClickHouse)' });
    const answer = body.data?.metricsStatus as { serverVersion: string; latencyMs: number } | undefined;
    expect(answer?.serverVersion).toMatch(/^\d+\.\d+/);
    expect(answer?.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('refuses unsigned requests', async () => {
    const { status } = await gql('{ metricsStatus { store } }', false);
    expect(status).toBe(401);
  });

  it('reports ClickHouse up on /health', async () => {
    const res = await fetch(`${running.url}/health`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { service: string; components: Record<string, { status: string }> };
    expect(body.service).toBe('metrics');
    expect(body.components.clickhouse?.status).toBe('up');
  });

  it('refuses to start without the internal secret', async () => {
    const unsigned = loadConfig({ LAB_DATA_DIR: dataDir });
    await expect(startMetrics(unsigned, log)).rejects.toThrow(/LAB_INTERNAL_SECRET is not set/);
  });
});
