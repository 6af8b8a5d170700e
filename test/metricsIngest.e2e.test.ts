import { gzipSync } from 'node:zlib';
import { createMetricsAgent } from '@lab/metrics-agent';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform } from './support/testPlatform';

describe('metrics ingestion through the gateway', () => {
  let platform: TestPlatform;
  let runId: string;

  beforeAll(async () => {
    platform = await startTestPlatform();
    ({ runId } = await platform.newRun({ project: 'ingest-e2e', experiment: 'e', run: 'r' }));
  });
  afterAll(async () => {
    await platform?.stop();
  });

  it("takes a training job's points from the metrics agent at the platform's one address", async () => {
    const errors: unknown[] = [];
    const agent = createMetricsAgent({
      baseUrl: platform.gatewayUrl,
      apiKey: platform.adminApiKey,
      runId,
      batchSize: 2_000,
      handleProcessExit: false,
      onError: (err) => errors.push(err),
    });
    for (let step = 0; step < 5_000; step++) {
      await agent.logAsync('loss', 1 / (step + 1), step);
      await agent.logAsync('accuracy', step / 5_000, step);
    }
    await agent.close();
    expect(errors).toEqual([]);
    expect(agent.stats()).toMatchObject({ sent: 10_000, failedBatches: 0, buffered: 0 });
  });

  it('answers a bad line with 400 naming it, and an unknown key with 401', async () => {
    const lines = [
      { runId, name: 'loss', value: 0.5, step: 1 },
      { runId, name: 'loss', value: 'NaN', step: 2 },
    ].map((l) => JSON.stringify(l));
    const bad = await fetch(`${platform.gatewayUrl}/v1/metrics`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${platform.adminApiKey}`,
        'content-type': 'application/x-ndjson',
        'content-encoding': 'gzip',
      },
      body: gzipSync(`${lines.join('\n')}\n`),
    });
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as { errors: { line: number; reason: string }[]; accepted: number };
    expect(body.errors[0]?.line).toBe(2);
    expect(body.accepted).toBe(0);

    const anonymous = await fetch(`${platform.gatewayUrl}/v1/metrics`, {
      method: 'POST',
      headers: { authorization: 'Bearer lab_nope_nope', 'content-type': 'application/x-ndjson' },
      body: `${lines[0]}\n`,
    });
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { code: string }).code).toBe('UNAUTHENTICATED');
  });

  it('logs 10,000 tagged points in one logMetrics call and reads them back with the run from the registry', async () => {
    const points = Array.from({ length: 10_000 }, (_, i) => ({
      name: 'val/loss',
      value: 1 / (i + 1),
      step: i,
      tags: [
        { key: 'split', value: 'validation' },
        { key: 'dataset', value: 'held-out-2026' },
      ],
    }));
    const logged = await platform.gql<{ logMetrics: { accepted: number } }>(
      'mutation($r: ID!, $p: [MetricPointInput!]!) { logMetrics(runId: $r, points: $p, idempotencyKey: "val-1") { accepted } }',
      { r: runId, p: points },
    );
    expect(logged.status).toBe(200);
    expect(logged.body.errors).toBeUndefined();
    expect(logged.body.data?.logMetrics.accepted).toBe(10_000);

    const read = await platform.gql<{
      run: {
        name: string;
        experiment: { name: string };
        metrics: { name: string; count: number; last: number; lastStep: number }[];
        metricSeries: { exact: boolean; points: { step: number; min: number; max: number }[] };
      };
    }>(
      `query($r: ID!) { run(id: $r) { name experiment { name }
         metrics { name count last lastStep }
         metricSeries(name: "val/loss", maxPoints: 100) { exact points { step min max } } } }`,
      { r: runId },
    );
    expect(read.body.errors).toBeUndefined();
    const run = read.body.data?.run;
    expect(run?.experiment.name).toBe('e');
    expect(run?.metrics.find((m) => m.name === 'val/loss')).toEqual({
      name: 'val/loss',
      count: 10_000,
      last: 1 / 10_000,
      lastStep: 9_999,
    });
    expect(run?.metrics.find((m) => m.name === 'loss')?.count).toBe(5_000);
    expect(run?.metricSeries.exact).toBe(false);
    expect(run?.metricSeries.points.length).toBeLessThanOrEqual(100);
    expect(run?.metricSeries.points[0]?.max).toBe(1);
  });
});
