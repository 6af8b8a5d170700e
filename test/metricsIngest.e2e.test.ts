import { gzipSync } from 'node:zlib';
import { createMetricsAgent } from '@lab/metrics-agent';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform } from './support/testPlatform';

describe('metrics ingestion through the gateway', () => {
  let platform: TestPlatform;
  let runId: string;

  beforeAll(async () => {
    platform = await startTestPlatform();
    const project = await platform.gql<{ createProject: { id: string } }>(
      'mutation { createProject(input: { name: "ingest-e2e" }) { id } }',
    );
    const experiment = await platform.gql<{ createExperiment: { id: string } }>(
      'mutation($p: ID!) { createExperiment(input: { projectId: $p, name: "e" }) { id } }',
      { p: project.body.data?.createProject.id },
    );
    const run = await platform.gql<{ startRun: { id: string } }>(
      'mutation($e: ID!) { startRun(input: { experimentId: $e, name: "r" }) { id } }',
      {
        e: experiment.body.data?.createExperiment.id,
      },
    );
    expect(run.body.errors).toBeUndefined();
    runId = run.body.data?.startRun.id as string;
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
});
