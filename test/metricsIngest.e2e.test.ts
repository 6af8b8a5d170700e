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

  it('serves charts: metric names, a step zoom, runs compared on one step grid, and refuses points older than the retention', async () => {
    const { experimentId, runId: a } = await platform.newRun({ project: 'charts-e2e', experiment: 'charts', run: 'a' });
    const started = await platform.gql<{ startRun: { id: string } }>(
      'mutation($i: StartRunInput!) { startRun(input: $i) { id } }',
      { i: { experimentId, name: 'b' } },
    );
    const b = started.body.data?.startRun.id as string;
    const LOG = 'mutation($r: ID!, $p: [MetricPointInput!]!) { logMetrics(runId: $r, points: $p) { accepted } }';
    const loss = (from: number, n: number) =>
      Array.from({ length: n }, (_, i) => ({ name: 'loss', value: 1 / (from + i + 1), step: from + i }));
    const lr = Array.from({ length: 100 }, (_, i) => ({ name: 'lr', value: 1e-4, step: i * 50 }));
    for (const [run, points] of [
      [a, [...loss(0, 5_000), ...lr]],
      [b, loss(1_000, 5_000)],
    ] as const) {
      const logged = await platform.gql(LOG, { r: run, p: points });
      expect(logged.body.errors).toBeUndefined();
    }

    const read = await platform.gql<{
      experiment: { metricNames: string[] };
      run: {
        metricNames: string[];
        zoom: { logged: boolean; exact: boolean; points: { step: number; value: number }[] };
        never: { logged: boolean; points: unknown[] };
      };
      compareRuns: {
        runId: string;
        name: string;
        series: { logged: boolean; exact: boolean; bucketWidth: number | null; points: { bucketStart: number }[] };
      }[];
    }>(
      `query($e: ID!, $a: ID!, $b: ID!) {
        experiment(id: $e) { metricNames }
        run(id: $a) {
          metricNames
          zoom: metricSeries(name: "loss", maxPoints: 1000, fromStep: 2000, toStep: 2999) { logged exact points { step value } }
          never: metricSeries(name: "val/accuracy") { logged points { step } }
        }
        compareRuns(runIds: [$a, $b], names: ["loss", "lr"], maxPoints: 100) {
          runId name series { logged exact bucketWidth points { bucketStart } }
        }
      }`,
      { e: experimentId, a, b },
    );
    expect(read.body.errors).toBeUndefined();
    const data = read.body.data;
    expect(data?.experiment.metricNames).toEqual(['loss', 'lr']);
    expect(data?.run.metricNames).toEqual(['loss', 'lr']);
    expect(data?.run.zoom.exact).toBe(true);
    expect(data?.run.zoom.points.map((p) => p.step)).toEqual(Array.from({ length: 1000 }, (_, i) => 2000 + i));
    expect(data?.run.zoom.points[0]?.value).toBe(1 / 2001);
    expect(data?.run.never).toEqual({ logged: false, points: [] });
    expect(data?.compareRuns.map((r) => [r.runId, r.name, r.series.logged])).toEqual([
      [a, 'loss', true],
      [a, 'lr', true],
      [b, 'loss', true],
      [b, 'lr', false],
    ]);
    // loss spans steps 0..5,999 over both runs: 60 steps a bucket from 0, for both.
    const [lossA, , lossB] = data?.compareRuns ?? [];
    expect([lossA?.series.bucketWidth, lossB?.series.bucketWidth]).toEqual([60, 60]);
    expect(lossA?.series.points.map((p) => p.bucketStart)).toEqual(Array.from({ length: 84 }, (_, i) => i * 60));
    expect(lossB?.series.points.map((p) => p.bucketStart)).toEqual(Array.from({ length: 84 }, (_, i) => 960 + i * 60));

    const old = new Date(Date.now() - 400 * 86_400_000).toISOString();
    const refused = await platform.gql(LOG, { r: a, p: [{ name: 'loss', value: 1, step: 9_999, timestamp: old }] });
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(refused.body.errors?.[0]?.message).toContain('older than the retention of metric points (365 days');
  });
});
