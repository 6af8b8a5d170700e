import { readFileSync } from 'node:fs';
import path from 'node:path';
import { AlreadyRunningError, startPlatform } from '@lab/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getHealth, startTestPlatform, type TestPlatform } from './support/testPlatform';

describe('the platform, from a clean state', () => {
  let platform: TestPlatform;
  beforeAll(async () => {
    platform = await startTestPlatform();
  });
  afterAll(async () => {
    await platform?.stop();
  });

  it('is healthy, with all three stores and subgraphs up', async () => {
    const { status, body } = await getHealth(platform);
    expect(status).toBe(200);
    expect(body.status).toBe('up');
    for (const component of ['postgresql', 'clickhouse', 's3', 'registry', 'metrics', 'artifacts']) {
      expect(body.components[component], component).toMatchObject({ status: 'up' });
      expect(body.components[component]?.latencyMs).toBeGreaterThanOrEqual(0);
    }
  });

  it('answers one query that reaches every subgraph through the gateway', async () => {
    const { status, body } = await platform.gql<{
      me: { id: string; isAdmin: boolean };
      registryStatus: { store: string };
      metricsStatus: { store: string };
      artifactsStatus: { store: string };
    }>(
      '{ me { id isAdmin } registryStatus { service store } metricsStatus { service store } artifactsStatus { service store } }',
    );
    expect(body.errors).toBeUndefined();
    expect(status).toBe(200);
    expect(body.data?.me.isAdmin).toBe(true);
    expect(body.data?.registryStatus.store).toMatch(/postgres/i);
    expect(body.data?.metricsStatus.store).toMatch(/clickhouse|chdb/i);
    expect(body.data?.artifactsStatus.store).toMatch(/s3/i);
  });

  it('refuses a request without an API key, or with a wrong one', async () => {
    for (const key of [null, 'not-the-admin-key-at-all']) {
      const { status, body } = await platform.gql('{ me { id } }', undefined, { key });
      expect(status).toBe(401);
      expect(body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
  });

  it('has subgraphs that refuse requests the gateway did not sign', async () => {
    for (const name of ['registry', 'metrics', 'artifacts'] as const) {
      const response = await fetch(`${platform.services[name].url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${platform.adminApiKey}` },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
      const body = (await response.json()) as { errors?: { extensions?: { code?: string } }[] };
      expect(body.errors?.[0]?.extensions?.code, name).toBe('UNAUTHENTICATED');
    }
  });

  it('carries the request id from the gateway into the subgraph logs', async () => {
    const requestId = `e2e-${Date.now()}`;
    const { headers } = await platform.gql('{ me { id } }', undefined, { headers: { 'x-request-id': requestId } });
    expect(headers.get('x-request-id')).toBe(requestId);
    // The registry logs each request it serves; give the log a moment to reach the file.
    await new Promise((r) => setTimeout(r, 300));
    const registryLog = readFileSync(path.join(platform.dataDir, 'logs', 'registry.log'), 'utf8');
    expect(registryLog).toContain(requestId);
  });

  it('never logs the admin API key', () => {
    for (const service of ['gateway', 'registry', 'metrics', 'artifacts']) {
      const log = readFileSync(path.join(platform.dataDir, 'logs', `${service}.log`), 'utf8');
      expect(log, service).not.toContain(platform.adminApiKey);
    }
  });

  it('refuses a second platform on the same data folder', async () => {
    await expect(startPlatform({ env: { ...platform.serviceEnv, GATEWAY_PORT: '0' } })).rejects.toBeInstanceOf(
      AlreadyRunningError,
    );
  });
});
