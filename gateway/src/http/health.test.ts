/** GET /health of the platform over stand-in subgraph health reports: statuses, timeouts, errors made public. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { SubgraphName } from '../constants';
import { healthUrlOf, platformHealth } from './health';

/** A fake subgraph: a real HTTP server on a free port answering GET /health as told. */
type Behaviour = { status: number; body: unknown } | 'hang';

const servers: http.Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function fakeSubgraph(behaviour: Behaviour): Promise<string> {
  const server = http.createServer((req, res) => {
    if (req.url !== '/health') return void res.writeHead(404).end();
    if (behaviour === 'hang') return;
    res.writeHead(behaviour.status, { 'content-type': 'application/json' }).end(JSON.stringify(behaviour.body));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
}

/** A URL nothing listens on: a port that was free a moment ago. */
async function deadUrl(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}/graphql`;
}

function report(service: string, store: string, storeStatus: 'up' | 'down' = 'up') {
  const component =
    storeStatus === 'up' ? { status: 'up', latencyMs: 1.5 } : { status: 'down', latencyMs: 3, error: `${store} refused` };
  return {
    status: storeStatus === 'up' ? 200 : 503,
    body: { service, status: storeStatus, components: { [store]: { ...component, details: { secret: 'no' } } } },
  };
}

async function urls(overrides: Partial<Record<SubgraphName, Behaviour | 'dead'>> = {}): Promise<Record<SubgraphName, string>> {
  const make = async (name: SubgraphName, fallback: Behaviour) => {
    const behaviour = overrides[name] ?? fallback;
    return behaviour === 'dead' ? deadUrl() : fakeSubgraph(behaviour);
  };
  return {
    registry: await make('registry', report('registry', 'postgresql')),
    metrics: await make('metrics', report('metrics', 'clickhouse')),
    artifacts: await make('artifacts', report('artifacts', 's3')),
  };
}

describe('healthUrlOf', () => {
  it('puts /health where /graphql was, keeping any path prefix', () => {
    expect(healthUrlOf('http://127.0.0.1:4001/graphql')).toBe('http://127.0.0.1:4001/health');
    expect(healthUrlOf('https://example.test/registry/graphql/')).toBe('https://example.test/registry/health');
    expect(healthUrlOf('http://h:1/')).toBe('http://h:1/health');
  });
});

describe('platformHealth', () => {
  it('is up with every subgraph and every store up, taking store latencies from the owners', async () => {
    const health = await platformHealth(await urls());
    expect(health.status).toBe('up');
    expect(Object.keys(health.components).sort()).toEqual(['artifacts', 'clickhouse', 'metrics', 'postgresql', 'registry', 's3']);
    for (const name of ['registry', 'metrics', 'artifacts']) {
      expect(health.components[name]).toEqual({ status: 'up', latencyMs: expect.any(Number) });
    }
    expect(health.components.postgresql).toEqual({ status: 'up', latencyMs: 1.5 });
  });

  it('is down when a store is down; the subgraph that reported it stays up; no details leak', async () => {
    const health = await platformHealth(await urls({ artifacts: report('artifacts', 's3', 'down') }));
    expect(health.status).toBe('down');
    expect(health.components.artifacts?.status).toBe('up');
    expect(health.components.s3).toEqual({ status: 'down', latencyMs: 3, error: 's3 refused' });
    expect(health.components.postgresql?.status).toBe('up');
    expect(JSON.stringify(health)).not.toContain('secret');
  });

  it('hides a store error that shows an address, a route or a stack: /health answers anyone', async () => {
    const leaky = {
      status: 503,
      body: {
        status: 'down',
        components: { postgresql: { status: 'down', latencyMs: 2, error: 'connect ECONNREFUSED 10.1.2.3:5432' } },
      },
    };
    const health = await platformHealth(await urls({ registry: leaky }));
    expect(health.components.postgresql).toEqual({
      status: 'down',
      latencyMs: 2,
      error: "unavailable (the registry service's log has the details)",
    });
    expect(JSON.stringify(health)).not.toContain('10.1.2.3');
  });

  it('takes the store down with a subgraph that does not answer, saying it is unreachable', async () => {
    const health = await platformHealth(await urls({ metrics: 'dead' }));
    expect(health.status).toBe('down');
    expect(health.components.metrics).toMatchObject({ status: 'down', error: expect.stringContaining('ECONNREFUSED') });
    expect(health.components.clickhouse?.status).toBe('down');
    expect(health.components.clickhouse?.error).toMatch(/^subgraph metrics is unreachable/);
    expect(health.components.registry?.status).toBe('up');
    expect(JSON.stringify(health)).not.toContain('127.0.0.1');
  });

  it('times each subgraph out on its own, in parallel', async () => {
    const started = performance.now();
    const health = await platformHealth(await urls({ registry: 'hang', artifacts: 'hang' }), 300);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(health.components.registry).toMatchObject({ status: 'down', error: 'timed out after 300 ms' });
    expect(health.components.postgresql?.error).toBe('subgraph registry is unreachable: timed out after 300 ms');
    expect(health.components.s3?.status).toBe('down');
    expect(health.components.metrics?.status).toBe('up');
  });

  it('counts an answer without a health report as down', async () => {
    const health = await platformHealth(await urls({ registry: { status: 502, body: 'bad gateway' } }));
    expect(health.components.registry).toMatchObject({ status: 'down', error: 'answered HTTP 502 without a health report' });
    expect(health.components.postgresql?.status).toBe('down');
  });

  it('counts a store its owner did not report as down', async () => {
    const health = await platformHealth(await urls({ registry: { status: 200, body: { status: 'up', components: {} } } }));
    expect(health.components.registry?.status).toBe('up');
    expect(health.components.postgresql).toMatchObject({ status: 'down', error: 'subgraph registry did not report postgresql' });
  });
});
