/**
 * MLflow's tracking REST API on the gateway's port, through a real platform:
 * a third-party MLflow client (the `mlflow` npm package) logging 10,000
 * points in batches and the same data read back through GraphQL; what the
 * Python MLflow client sends (test/support/mlflowPythonClient.py, standard
 * library only); then the documented request and answer shapes of each
 * endpoint: experiments, runs, metrics, registered models and artifacts,
 * and MLflow's error codes.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from '@lab/stack';
import MLflow from 'mlflow';
import { RunStatus } from 'mlflow/enum';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestPlatform, type TestPlatform } from './support/testPlatform';

interface KeyValue {
  key: string;
  value: string;
}
interface MlflowRun {
  info: { run_id: string; experiment_id: string; status: string; run_name: string; lifecycle_stage: string; artifact_uri: string; end_time?: number };
  data: { metrics: { key: string; value: number; step: number }[]; params: KeyValue[]; tags: KeyValue[] };
}

describe('the MLflow tracking API', () => {
  let platform: TestPlatform;
  let api: (method: string, endpoint: string, body?: Record<string, unknown>, key?: string | null) => Promise<{ status: number; body: Record<string, unknown> }>;

  beforeAll(async () => {
    platform = await startTestPlatform();
    api = async (method, endpoint, body = {}, key = platform.adminApiKey) => {
      const base = `${platform.gatewayUrl}/${endpoint.startsWith('ajax-api') ? endpoint : `api/2.0/mlflow/${endpoint}`}`;
      const query = new URLSearchParams();
      for (const [k, v] of Object.entries(body)) for (const one of Array.isArray(v) ? v : [v]) query.append(k, String(one));
      const response = await fetch(method === 'GET' ? `${base}?${query}` : base, {
        method,
        headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
        ...(method === 'GET' ? {} : { body: JSON.stringify(body) }),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
  });
  afterAll(async () => {
    await platform?.stop();
  });

  it('takes a run from the mlflow npm client: params, tags and 10,000 points in batches, read back through MLflow and GraphQL', async () => {
    vi.spyOn(console, 'log').mockImplementation(() => {}); // the client prints every body it posts
    const client = new MLflow({ endpoint: platform.gatewayUrl, headers: { Authorization: `Bearer ${platform.adminApiKey}` } });
    const { experiment_id } = await client.Experiments.create({ name: 'npm-client', artifact_location: '' });
    const { run } = await client.Runs.create({ experiment_id, user_id: 'researcher', start_time: Date.now(), tags: [{ key: 'mlflow.runName', value: 'npm-run' }] });
    const runId = run.info.run_id as string;
    await client.Runs.logBatch({
      run_id: runId,
      params: [
        { key: 'lr', value: '0.0003' },
        { key: 'optimizer', value: 'adamw' },
      ],
      tags: [{ key: 'team', value: 'nlp' }],
    });
    const t0 = Date.now() - 60_000;
    for (let batch = 0; batch < 10; batch++) {
      const metrics = Array.from({ length: 1_000 }, (_, i) => {
        const step = batch * 1_000 + i;
        return { key: 'loss', value: 1 / (step + 1), timestamp: t0 + step, step };
      });
      await client.Runs.logBatch({ run_id: runId, metrics });
    }
    const { metrics } = await client.Metrics.getHistory({ run_id: runId, metric_key: 'loss' });
    expect(metrics).toHaveLength(10_000);
    expect(metrics[9_999]).toEqual({ key: 'loss', value: 1 / 10_000, timestamp: t0 + 9_999, step: 9_999 });
    await client.Runs.update({ run_id: runId, status: RunStatus.FINISHED, end_time: Date.now() });
    const got = (await client.Runs.get({ run_id: runId })).run as unknown as MlflowRun;
    expect(got.info).toMatchObject({ run_id: runId, status: 'FINISHED', run_name: 'npm-run', lifecycle_stage: 'active' });
    expect(got.data.metrics).toEqual([expect.objectContaining({ key: 'loss', value: 1 / 10_000, step: 9_999 })]);
    vi.restoreAllMocks();

    const answer = await platform.gql<{
      run: { name: string; status: string; params: Record<string, string>; tags: Record<string, string>; experiment: { name: string; project: { name: string } }; metrics: { name: string; count: number; last: number; min: number }[] };
    }>('query($id: ID!) { run(id: $id) { name status params tags experiment { name project { name } } metrics { name count last min } } }', { id: runId });
    expect(answer.body.errors).toBeUndefined();
    expect(answer.body.data?.run).toEqual({
      name: 'npm-run',
      status: 'COMPLETED',
      params: { lr: '0.0003', optimizer: 'adamw' },
      tags: { team: 'nlp' },
      experiment: { name: 'npm-client', project: { name: 'mlflow' } },
      metrics: [{ name: 'loss', count: 10_000, last: 1 / 10_000, min: 1 / 10_000 }],
    });
  });

  it('takes exactly what the Python client sends for log_metric, log_batch and set_terminated', async () => {
    const created = await api('POST', 'experiments/create', { name: 'python-stdlib' });
    const experimentId = created.body.experiment_id as string;
    const out = await new Promise<string>((resolve, reject) =>
      execFile(
        'python3',
        [path.join(REPO_ROOT, 'test/support/mlflowPythonClient.py'), experimentId],
        { env: { ...process.env, MLFLOW_TRACKING_URI: platform.gatewayUrl, MLFLOW_TRACKING_TOKEN: platform.adminApiKey }, timeout: 60_000 },
        (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
      ),
    );
    const { run_id, history } = JSON.parse(out) as { run_id: string; history: { step: number; value: number }[] };
    expect(history.map((p) => [p.step, p.value])).toEqual([
      [0, 1],
      [1, 0.5],
      [2, 1 / 3],
    ]);
    const answer = await platform.gql<{ run: { status: string; params: Record<string, string>; tags: Record<string, string>; metrics: { name: string; count: number }[] } }>(
      'query($id: ID!) { run(id: $id) { status params tags metrics { name count } } }',
      { id: run_id },
    );
    expect(answer.body.data?.run).toMatchObject({
      status: 'COMPLETED',
      params: { lr: '0.001', batch_size: '32' },
      tags: { team: 'nlp', 'mlflow.source.name': 'train.py', 'mlflow.user': 'researcher' },
      metrics: [
        { name: 'acc', count: 100 },
        { name: 'loss', count: 3 },
      ],
    });
  });
});
