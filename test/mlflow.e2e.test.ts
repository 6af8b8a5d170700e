/**
 * MLflow's tracking REST API on the gateway's port, through a real platform:
 * a third-party MLflow client (the `mlflow` npm package) logging 10,000
 * points in batches and the same data read back through GraphQL; what the
 * Python MLflow client sends (test/support/mlflowPythonClient.py, standard
 * library only); then the documented request and answer shapes of each
 * endpoint: experiments, runs, dataset inputs as lineage, metrics, registered models and artifacts,
 * and MLflow's error codes.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { REPO_ROOT } from '@lab/stack';
import MLflow from 'mlflow';
import { RunStatus } from 'mlflow/enum';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { eventually, startTestPlatform, type TestPlatform } from './support/testPlatform';

interface KeyValue {
  key: string;
  value: string;
}
interface MlflowRun {
  info: {
    run_id: string;
    experiment_id: string;
    status: string;
    run_name: string;
    lifecycle_stage: string;
    artifact_uri: string;
    end_time?: number;
  };
  data: { metrics: { key: string; value: number; step: number }[]; params: KeyValue[]; tags: KeyValue[] };
}

describe('the MLflow tracking API', () => {
  let platform: TestPlatform;
  let api: (
    method: string,
    endpoint: string,
    body?: Record<string, unknown>,
    key?: string | null,
  ) => Promise<{ status: number; body: Record<string, unknown> }>;

  beforeAll(async () => {
    // A low multipart threshold and part size (5 MiB, the least S3 takes), so a 12 MiB upload goes in parts.
    platform = await startTestPlatform({ env: { ARTIFACTS_MULTIPART_THRESHOLD_MIB: '5', ARTIFACTS_PART_SIZE_MIB: '5' } });
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
    const { run } = await client.Runs.create({
      experiment_id,
      user_id: 'researcher',
      start_time: Date.now(),
      tags: [{ key: 'mlflow.runName', value: 'npm-run' }],
    });
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
      run: {
        name: string;
        status: string;
        params: Record<string, string>;
        tags: Record<string, string>;
        experiment: { name: string; project: { name: string } };
        metrics: { name: string; count: number; last: number; min: number }[];
      };
    }>(
      'query($id: ID!) { run(id: $id) { name status params tags experiment { name project { name } } metrics { name count last min } } }',
      { id: runId },
    );
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
        {
          env: { ...process.env, MLFLOW_TRACKING_URI: platform.gatewayUrl, MLFLOW_TRACKING_TOKEN: platform.adminApiKey },
          timeout: 60_000,
        },
        (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
      ),
    );
    const { run_id, history } = JSON.parse(out) as { run_id: string; history: { step: number; value: number }[] };
    expect(history.map((p) => [p.step, p.value])).toEqual([
      [0, 1],
      [1, 0.5],
      [2, 1 / 3],
    ]);
    const answer = await platform.gql<{
      run: {
        status: string;
        params: Record<string, string>;
        tags: Record<string, string>;
        metrics: { name: string; count: number }[];
        source: unknown;
      };
    }>('query($id: ID!) { run(id: $id) { status params tags metrics { name count } source { commit entryPoint } } }', {
      id: run_id,
    });
    expect(answer.body.data?.run).toMatchObject({
      status: 'COMPLETED',
      params: { lr: '0.001', batch_size: '32' },
      tags: { team: 'nlp', 'mlflow.source.name': 'train.py', 'mlflow.user': 'researcher' },
      metrics: [
        { name: 'acc', count: 100 },
        { name: 'loss', count: 3 },
      ],
      source: { commit: '0123456789abcdef0123456789abcdef01234567', entryPoint: 'train.py' },
    });
  });
  it('experiments: create, get, get-by-name, search, update, tags, delete and restore; MLflow errors', async () => {
    const created = await api('POST', 'experiments/create', { name: 'contract', tags: [{ key: 'team', value: 'vision' }] });
    expect(created.status).toBe(200);
    const id = created.body.experiment_id as string;
    const got = await api('GET', 'experiments/get', { experiment_id: id });
    expect(got.body.experiment).toMatchObject({
      experiment_id: id,
      name: 'contract',
      lifecycle_stage: 'active',
      artifact_location: `mlflow-artifacts:/${id}`,
      tags: [{ key: 'team', value: 'vision' }],
      creation_time: expect.any(Number),
      last_update_time: expect.any(Number),
    });
    expect((await api('GET', 'experiments/get-by-name', { experiment_name: 'contract' })).body.experiment).toMatchObject({
      experiment_id: id,
    });
    expect(await api('POST', 'experiments/create', { name: 'contract' })).toEqual({
      status: 400,
      body: { error_code: 'RESOURCE_ALREADY_EXISTS', message: expect.any(String) },
    });
    expect(await api('POST', 'experiments/create', {})).toEqual({
      status: 400,
      body: { error_code: 'INVALID_PARAMETER_VALUE', message: "Missing value for required parameter 'name'" },
    });
    expect((await api('GET', 'experiments/get-by-name', { experiment_name: 'nope' })).body.error_code).toBe(
      'RESOURCE_DOES_NOT_EXIST',
    );
    expect((await api('GET', 'experiments/get', { experiment_id: '00000000-0000-4000-8000-000000000000' })).status).toBe(404);

    await api('POST', 'experiments/update', { experiment_id: id, new_name: 'contract-2' });
    await api('POST', 'experiments/set-experiment-tag', { experiment_id: id, key: 'owner', value: 'ada' });
    await api('POST', 'experiments/set-experiment-tag', { experiment_id: id, key: 'mlflow.note.content', value: 'notes' });
    const found = await api('POST', 'experiments/search', { filter: "name LIKE 'contract%'", max_results: 10 });
    expect(found.body.experiments).toEqual([
      expect.objectContaining({
        name: 'contract-2',
        tags: expect.arrayContaining([
          { key: 'owner', value: 'ada' },
          { key: 'mlflow.note.content', value: 'notes' },
        ]),
      }),
    ]);
    await api('POST', 'experiments/delete', { experiment_id: id });
    expect((await api('GET', 'experiments/get', { experiment_id: id })).body.experiment).toMatchObject({
      lifecycle_stage: 'deleted',
    });
    expect((await api('POST', 'experiments/search', { filter: "name = 'contract-2'" })).body.experiments).toEqual([]);
    expect(
      (await api('POST', 'experiments/search', { filter: "name = 'contract-2'", view_type: 'DELETED_ONLY' })).body.experiments,
    ).toHaveLength(1);
    await api('POST', 'experiments/restore', { experiment_id: id });
    expect((await api('GET', 'experiments/get', { experiment_id: id })).body.experiment).toMatchObject({
      lifecycle_stage: 'active',
    });

    expect(await api('GET', 'experiments/get', { experiment_id: id }, null)).toEqual({
      status: 401,
      body: { error_code: 'UNAUTHENTICATED', message: expect.any(String) },
    });
    expect((await api('GET', 'no-such/endpoint')).body.error_code).toBe('ENDPOINT_NOT_FOUND');
    expect((await api('GET', 'experiments/create', { name: 'by-get' })).status).toBe(405);
    // <project>/<name>: an experiment in a project of the caller's.
    await platform.gql('mutation { createProject(input: { name: "vision" }) { id } }');
    const inProject = await api('POST', 'experiments/create', { name: 'vision/resnet' });
    expect(
      (await api('GET', 'experiments/get', { experiment_id: inProject.body.experiment_id as string })).body.experiment,
    ).toMatchObject({ name: 'vision/resnet' });
    expect((await api('POST', 'experiments/create', { name: 'nowhere/x' })).body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
  });

  it('runs: create, get, update, tags, params, search with filter, order and page token, delete and restore, log-batch limits', async () => {
    const experimentId = (await api('POST', 'experiments/create', { name: 'runs-contract' })).body.experiment_id as string;
    const ids: string[] = [];
    for (const [i, lr] of ['0.1', '0.01', '0.001'].entries()) {
      const made = await api('POST', 'runs/create', {
        experiment_id: experimentId,
        run_name: `r${i}`,
        start_time: Date.now() - 1000 + i,
        tags: [{ key: 'k', value: 'v' }],
      });
      expect(made.status).toBe(200);
      const run = made.body.run as MlflowRun;
      expect(run.info).toMatchObject({
        experiment_id: experimentId,
        status: 'RUNNING',
        run_name: `r${i}`,
        lifecycle_stage: 'active',
      });
      expect(run.info.artifact_uri).toBe(`mlflow-artifacts:/${experimentId}/${run.info.run_id}/artifacts`);
      ids.push(run.info.run_id);
      await api('POST', 'runs/log-parameter', { run_id: run.info.run_id, key: 'lr', value: lr });
      await api('POST', 'runs/log-metric', {
        run_id: run.info.run_id,
        key: 'acc',
        value: i / 10,
        timestamp: Date.now(),
        step: 0,
      });
    }
    const [a, b, c] = ids as [string, string, string];
    expect((await api('POST', 'runs/log-parameter', { run_id: a, key: 'lr', value: '9' })).body.error_code).toBe(
      'INVALID_PARAMETER_VALUE',
    );
    await api('POST', 'runs/set-tag', { run_id: a, key: 'note', value: 'best' });
    await api('POST', 'runs/delete-tag', { run_id: a, key: 'k' });
    expect((await api('POST', 'runs/delete-tag', { run_id: a, key: 'k' })).body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    const updated = await api('POST', 'runs/update', { run_id: a, status: 'FAILED', end_time: Date.now() });
    expect(updated.body.run_info).toMatchObject({ run_id: a, status: 'FAILED', end_time: expect.any(Number) });
    const run = (await api('GET', 'runs/get', { run_id: a })).body.run as MlflowRun;
    expect(run.data.tags).toEqual(
      expect.arrayContaining([
        { key: 'note', value: 'best' },
        { key: 'mlflow.runName', value: 'r0' },
      ]),
    );
    expect(run.data.tags.find((t) => t.key === 'k')).toBeUndefined();
    expect(run.data.params).toEqual([{ key: 'lr', value: '0.1' }]);

    const search = (body: Record<string, unknown>) => api('POST', 'runs/search', { experiment_ids: [experimentId], ...body });
    const byParam = await search({ filter: "params.lr = '0.01'" });
    expect((byParam.body.runs as MlflowRun[]).map((r) => r.info.run_id)).toEqual([b]);
    const byStatus = await search({ filter: "attributes.status = 'FAILED'" });
    expect((byStatus.body.runs as MlflowRun[]).map((r) => r.info.run_id)).toEqual([a]);
    const ordered = await search({ order_by: ['metrics.acc DESC'], max_results: 2 });
    expect((ordered.body.runs as MlflowRun[]).map((r) => r.info.run_id)).toEqual([c, b]);
    const rest = await search({ order_by: ['metrics.acc DESC'], max_results: 2, page_token: ordered.body.next_page_token });
    expect((rest.body.runs as MlflowRun[]).map((r) => r.info.run_id)).toEqual([a]);
    expect(rest.body.next_page_token).toBeUndefined();

    await api('POST', 'runs/delete', { run_id: c });
    expect(((await api('GET', 'runs/get', { run_id: c })).body.run as MlflowRun).info.lifecycle_stage).toBe('deleted');
    expect((await search({})).body.runs).toHaveLength(2);
    expect((await search({ run_view_type: 'DELETED_ONLY' })).body.runs).toHaveLength(1);
    await api('POST', 'runs/restore', { run_id: c });
    expect((await search({ run_view_type: 'ALL' })).body.runs).toHaveLength(3);

    const tooMany = Array.from({ length: 1001 }, (_, step) => ({ key: 'x', value: 1, timestamp: Date.now(), step }));
    expect(await api('POST', 'runs/log-batch', { run_id: b, metrics: tooMany })).toEqual({
      status: 400,
      body: {
        error_code: 'INVALID_PARAMETER_VALUE',
        message: 'A batch logging request can contain at most 1000 metrics. Got 1001 metrics.',
      },
    });
    const params101 = Array.from({ length: 101 }, (_, i) => ({ key: `p${i}`, value: '1' }));
    expect((await api('POST', 'runs/log-batch', { run_id: b, params: params101 })).body.error_code).toBe(
      'INVALID_PARAMETER_VALUE',
    );
    // A bad metric name refuses the whole batch: its params are not written either.
    const mixed = await api('POST', 'runs/log-batch', {
      run_id: b,
      params: [{ key: 'unwritten', value: '1' }],
      metrics: [{ key: 'val loss', value: 1, timestamp: Date.now(), step: 0 }],
    });
    expect(mixed.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect(((await api('GET', 'runs/get', { run_id: b })).body.run as MlflowRun).data.params).not.toContainEqual({
      key: 'unwritten',
      value: '1',
    });
    expect(
      (await api('POST', 'runs/log-metric', { run_id: b, key: 'bad name!', value: 1, timestamp: Date.now() })).body.error_code,
    ).toBe('INVALID_PARAMETER_VALUE');
    expect(
      (
        await api('POST', 'runs/log-metric', {
          run_id: '00000000-0000-4000-8000-000000000000',
          key: 'x',
          value: 1,
          timestamp: Date.now(),
        })
      ).body.error_code,
    ).toBe('RESOURCE_DOES_NOT_EXIST');
    expect((await api('GET', 'runs/get', { run_id: '00000000-0000-4000-8000-000000000000' })).status).toBe(404);

    await api('POST', 'runs/log-inputs', {
      run_id: b,
      datasets: [{ dataset: { name: 'wiki', digest: 'abc123', source_type: 's3', source: '{"uri":"s3://x"}' }, tags: [] }],
    });
    expect(((await api('GET', 'runs/get', { run_id: b })).body.run as MlflowRun).data.tags).toContainEqual({
      key: 'mlflow.input.wiki',
      value: JSON.stringify({ digest: 'abc123', source_type: 's3', source: '{"uri":"s3://x"}' }),
    });
  });

  it("log-inputs: datasets of the project become the run's lineage, read back through GraphQL and runs/get", async () => {
    const experimentId = (await api('POST', 'experiments/create', { name: 'inputs' })).body.experiment_id as string;
    const runId = ((await api('POST', 'runs/create', { experiment_id: experimentId })).body.run as MlflowRun).info.run_id;
    const data = async <T>(query: string, variables: Record<string, unknown>): Promise<T> => {
      const answer = await platform.gql<T>(query, variables);
      expect(answer.body.errors, JSON.stringify(answer.body.errors)).toBeUndefined();
      return answer.body.data as T;
    };
    const { experiment } = await data<{ experiment: { project: { id: string } } }>(
      'query($id: ID!) { experiment(id: $id) { project { id } } }',
      { id: experimentId },
    );
    const hex = createHash('sha256').update('tokens').digest('hex');
    const version = async (name: string, label: string, checksum?: string) => {
      const { createDataset } = await data<{ createDataset: { id: string } }>(
        'mutation($p: ID!, $n: String!) { createDataset(input: { projectId: $p, name: $n }) { id } }',
        { p: experiment.project.id, n: name },
      );
      const created = await data<{ createDatasetVersion: { id: string } }>(
        'mutation($input: CreateDatasetVersionInput!) { createDatasetVersion(input: $input) { id } }',
        { input: { datasetId: createDataset.id, label, format: 'parquet', ...(checksum ? { checksum } : {}) } },
      );
      return created.createDatasetVersion.id;
    };
    const byLabel = await version('corpus', '2026-11-25');
    const byChecksum = await version('tokens', 'v1', `sha256:${hex}`);
    const datasets = [
      { dataset: { name: 'corpus', digest: '2026-11-25', source_type: 's3', source: '{"uri":"s3://c"}' }, tags: [] },
      { dataset: { name: 'tokens', digest: hex.toUpperCase(), source_type: 'local', source: '{}' }, tags: [] },
      { dataset: { name: 'corpus', digest: 'unknown', source_type: 's3', source: '{}' }, tags: [] },
    ];
    expect((await api('POST', 'runs/log-inputs', { run_id: runId, datasets })).status).toBe(200);
    expect((await api('POST', 'runs/log-inputs', { run_id: runId, datasets: datasets.slice(0, 2) })).status).toBe(200);

    const { run } = await data<{ run: { inputs: { id: string; dataset: { name: string } }[] } }>(
      'query($id: ID!) { run(id: $id) { inputs { id dataset { name } } } }',
      { id: runId },
    );
    // versions linked in one request are in no particular order
    const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
    expect(run.inputs.sort((a, b) => byName(a.dataset, b.dataset))).toEqual([
      { id: byLabel, dataset: { name: 'corpus' } },
      { id: byChecksum, dataset: { name: 'tokens' } },
    ]);
    const got = (await api('GET', 'runs/get', { run_id: runId })).body.run as MlflowRun & {
      inputs: { dataset_inputs: { dataset: Record<string, string>; tags: KeyValue[] }[] };
    };
    expect(got.inputs.dataset_inputs.map((i) => i.dataset as { name: string }).sort(byName)).toEqual([
      {
        name: 'corpus',
        digest: '2026-11-25',
        source_type: 'lab',
        source: JSON.stringify({ datasetVersionId: byLabel, label: '2026-11-25' }),
      },
      {
        name: 'tokens',
        digest: `sha256:${hex}`,
        source_type: 'lab',
        source: JSON.stringify({ datasetVersionId: byChecksum, label: 'v1' }),
      },
    ]);
    // a dataset of no version in the project stays a tag
    expect(got.data.tags).toContainEqual({
      key: 'mlflow.input.corpus',
      value: JSON.stringify({ digest: 'unknown', source_type: 's3', source: '{}' }),
    });
    expect(got.data.tags.filter((t) => t.key === 'mlflow.input.tokens')).toEqual([]);
  });

  it('metrics: get-history in pages ending at whole steps; get-history-bulk-interval sampled per run', async () => {
    const experimentId = (await api('POST', 'experiments/create', { name: 'history' })).body.experiment_id as string;
    const runs: string[] = [];
    for (let r = 0; r < 2; r++) {
      const id = ((await api('POST', 'runs/create', { experiment_id: experimentId })).body.run as MlflowRun).info.run_id;
      runs.push(id);
      const metrics = Array.from({ length: 1000 }, (_, step) => ({
        key: 'loss',
        value: r + 1 / (step + 1),
        timestamp: Date.now(),
        step,
      }));
      expect((await api('POST', 'runs/log-batch', { run_id: id, metrics })).status).toBe(200);
    }
    const [first] = runs as [string];
    // The same batch again with the same Idempotency-Key is stored once.
    const again = Array.from({ length: 10 }, (_, i) => ({ key: 'retried', value: i, timestamp: Date.now(), step: i }));
    for (let attempt = 0; attempt < 2; attempt++) {
      const sent = await fetch(`${platform.gatewayUrl}/api/2.0/mlflow/runs/log-batch`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${platform.adminApiKey}`,
          'content-type': 'application/json',
          'idempotency-key': 'batch-1',
        },
        body: JSON.stringify({ run_id: first, metrics: again }),
      });
      expect(sent.status).toBe(200);
    }
    expect((await api('GET', 'metrics/get-history', { run_id: first, metric_key: 'retried' })).body.metrics).toHaveLength(10);
    const page1 = await api('GET', 'metrics/get-history', { run_id: first, metric_key: 'loss', max_results: 400 });
    const points1 = page1.body.metrics as { step: number; key: string; value: number; timestamp: number }[];
    expect(points1).toHaveLength(400);
    expect(points1[0]).toEqual({ key: 'loss', value: 1, step: 0, timestamp: expect.any(Number) });
    const page2 = await api('GET', 'metrics/get-history', {
      run_id: first,
      metric_key: 'loss',
      max_results: 400,
      page_token: page1.body.next_page_token,
    });
    const page3 = await api('GET', 'metrics/get-history', {
      run_id: first,
      metric_key: 'loss',
      max_results: 400,
      page_token: page2.body.next_page_token,
    });
    const steps = [...points1, ...(page2.body.metrics as { step: number }[]), ...(page3.body.metrics as { step: number }[])].map(
      (p) => p.step,
    );
    expect(steps).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(page3.body.next_page_token).toBeUndefined();
    expect((await api('GET', 'metrics/get-history', { run_id: first, metric_key: 'never' })).body).toEqual({ metrics: [] });

    const bulk = await api('GET', 'ajax-api/2.0/mlflow/metrics/get-history-bulk-interval', {
      run_ids: runs,
      metric_key: 'loss',
      max_results: 100,
    });
    expect(bulk.status).toBe(200);
    const sampled = bulk.body.metrics as { run_id: string; step: number; value: number }[];
    for (const id of runs) {
      const mine = sampled.filter((p) => p.run_id === id);
      expect(mine.length).toBeGreaterThan(50);
      expect(mine.length).toBeLessThanOrEqual(100);
      expect(mine.at(-1)?.step).toBe(999);
    }
    const bulkAll = await api('GET', 'ajax-api/2.0/mlflow/metrics/get-history-bulk', { run_id: runs, metric_key: 'loss' });
    expect((bulkAll.body.metrics as { run_id: string }[]).filter((p) => p.run_id === runs[1])).toHaveLength(1000);
    const zoomed = await api('GET', 'ajax-api/2.0/mlflow/metrics/get-history-bulk-interval', {
      run_ids: [first],
      metric_key: 'loss',
      start_step: 10,
      end_step: 19,
      max_results: 100,
    });
    expect((zoomed.body.metrics as { step: number }[]).map((p) => p.step)).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
  });

  it('registered models: create, versions from a run, aliases, stages and search', async () => {
    const experimentId = (await api('POST', 'experiments/create', { name: 'models' })).body.experiment_id as string;
    const runId = ((await api('POST', 'runs/create', { experiment_id: experimentId })).body.run as MlflowRun).info.run_id;
    const created = await api('POST', 'registered-models/create', {
      name: 'classifier',
      description: 'd',
      tags: [{ key: 't', value: '1' }],
    });
    expect(created.body.registered_model).toMatchObject({
      name: 'classifier',
      description: 'd',
      tags: [{ key: 't', value: '1' }],
      latest_versions: [],
    });
    expect((await api('POST', 'registered-models/create', { name: 'classifier' })).body.error_code).toBe(
      'RESOURCE_ALREADY_EXISTS',
    );
    const v1 = await api('POST', 'model-versions/create', {
      name: 'classifier',
      source: `mlflow-artifacts:/${experimentId}/${runId}/artifacts/model`,
      run_id: runId,
    });
    expect(v1.body.model_version).toMatchObject({
      name: 'classifier',
      version: '1',
      run_id: runId,
      status: 'READY',
      source: expect.stringContaining('/artifacts/model'),
    });
    await api('POST', 'model-versions/create', { name: 'classifier', source: 'x' });
    expect((await api('POST', 'registered-models/alias', { name: 'classifier', alias: 'champion', version: '1' })).status).toBe(
      200,
    );
    const byAlias = await api('GET', 'registered-models/get-model-version-by-alias', { name: 'classifier', alias: 'champion' });
    expect(byAlias.body.model_version).toMatchObject({ version: '1', aliases: ['champion'] });
    const staged = await api('POST', 'model-versions/transition-stage', {
      name: 'classifier',
      version: '2',
      stage: 'Production',
    });
    expect(staged.body.model_version).toMatchObject({ version: '2', current_stage: 'Production', aliases: ['production'] });
    const deleted = await fetch(`${platform.gatewayUrl}/api/2.0/mlflow/registered-models/alias`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${platform.adminApiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'classifier', alias: 'champion' }),
    });
    expect(deleted.status).toBe(200);
    expect(
      (await api('GET', 'registered-models/get-model-version-by-alias', { name: 'classifier', alias: 'champion' })).body
        .error_code,
    ).toBe('RESOURCE_DOES_NOT_EXIST');
    const model = await api('GET', 'registered-models/get', { name: 'classifier' });
    expect(model.body.registered_model).toMatchObject({
      latest_versions: [expect.objectContaining({ version: '2' })],
      aliases: [{ alias: 'production', version: '2' }],
    });
    expect((await api('GET', 'registered-models/search', { filter: "name LIKE '%class%'" })).body.registered_models).toHaveLength(
      1,
    );
    expect((await api('GET', 'model-versions/get', { name: 'classifier', version: '9' })).body.error_code).toBe(
      'RESOURCE_DOES_NOT_EXIST',
    );
    expect((await api('GET', 'model-versions/get-download-uri', { name: 'classifier', version: '1' })).body).toEqual({
      artifact_uri: `mlflow-artifacts:/${experimentId}/${runId}/artifacts/model`,
    });
    const latest = await api('POST', 'registered-models/get-latest-versions', { name: 'classifier', stages: ['Production'] });
    expect((latest.body.model_versions as { version: string }[]).map((v) => v.version)).toEqual(['2']);
  });

  it("artifacts: upload, list and download a run's files through the mlflow-artifacts proxy", async () => {
    const experimentId = (await api('POST', 'experiments/create', { name: 'artifacts' })).body.experiment_id as string;
    const run = (await api('POST', 'runs/create', { experiment_id: experimentId })).body.run as MlflowRun;
    const base = `${platform.gatewayUrl}/api/2.0/mlflow-artifacts/artifacts/${run.info.artifact_uri.slice('mlflow-artifacts:/'.length)}`;
    const auth = { authorization: `Bearer ${platform.adminApiKey}` };
    const bytes = Buffer.alloc(300_000, 7);
    for (const name of ['model/model.bin', 'model/MLmodel', 'metrics.json']) {
      const put = await fetch(`${base}/${name}`, {
        method: 'PUT',
        headers: auth,
        body: name === 'model/model.bin' ? bytes : `{"name":"${name}"}`,
      });
      expect(put.status).toBe(200);
    }
    const list = async (p: string) =>
      (await (
        await fetch(`${platform.gatewayUrl}/api/2.0/mlflow-artifacts/artifacts?path=${encodeURIComponent(p)}`, { headers: auth })
      ).json()) as { files: unknown[] };
    const prefix = `${experimentId}/${run.info.run_id}/artifacts`;
    expect((await list(prefix)).files).toEqual([
      { path: 'metrics.json', is_dir: false, file_size: 23 },
      { path: 'model', is_dir: true },
    ]);
    expect((await list(`${prefix}/model`)).files).toEqual([
      { path: 'MLmodel', is_dir: false, file_size: 24 },
      { path: 'model.bin', is_dir: false, file_size: 300_000 },
    ]);
    expect((await api('GET', 'artifacts/list', { run_id: run.info.run_id, path: 'model' })).body).toEqual({
      root_uri: run.info.artifact_uri,
      files: [
        { path: 'model/MLmodel', is_dir: false, file_size: 24 },
        { path: 'model/model.bin', is_dir: false, file_size: 300_000 },
      ],
    });
    const got = await fetch(`${base}/model/model.bin`, { headers: auth });
    expect(got.status).toBe(200);
    expect(Buffer.from(await got.arrayBuffer()).equals(bytes)).toBe(true);
    expect((await fetch(`${base}/nope.txt`, { headers: auth })).status).toBe(404);

    // Above the multipart threshold: three parts, each streamed from the request to S3.
    const large = Buffer.alloc(12 * 1024 * 1024);
    for (let i = 0; i < large.length; i += 4096) large[i] = i % 251;
    expect((await fetch(`${base}/checkpoint/weights.bin`, { method: 'PUT', headers: auth, body: large })).status).toBe(200);
    const back = await fetch(`${base}/checkpoint/weights.bin`, { headers: auth });
    expect(back.headers.get('content-length')).toBe(String(large.length));
    expect(
      createHash('sha256')
        .update(Buffer.from(await back.arrayBuffer()))
        .digest('hex'),
    ).toBe(createHash('sha256').update(large).digest('hex'));
    expect((await fetch(`${base}/x.txt`, { method: 'PUT', body: 'x' })).status).toBe(401);
  });

  it('checks rights as GraphQL does: a reader may read, not write', async () => {
    const experimentId = (await api('POST', 'experiments/create', { name: 'rights' })).body.experiment_id as string;
    const user = await platform.gql<{ createUser: { id: string } }>(
      'mutation { createUser(input: { email: "reader@lab.test", name: "Reader" }) { id } }',
    );
    const userId = user.body.data?.createUser.id;
    const projects = await platform.gql<{ projects: { edges: { node: { id: string; name: string } }[] } }>(
      '{ projects(first: 100) { edges { node { id name } } } }',
    );
    const projectId = projects.body.data?.projects.edges.find((e) => e.node.name === 'mlflow')?.node.id;
    await platform.gql('mutation($p: ID!, $u: ID!) { addProjectMember(projectId: $p, userId: $u, role: VIEWER) { role } }', {
      p: projectId,
      u: userId,
    });
    const key = await platform.gql<{ createApiKey: { secret: string } }>(
      'mutation($u: ID!) { createApiKey(input: { name: "r", userId: $u }) { secret } }',
      { u: userId },
    );
    const secret = key.body.data?.createApiKey.secret as string;
    expect((await api('GET', 'experiments/get', { experiment_id: experimentId }, secret)).status).toBe(200);
    expect(await api('POST', 'runs/create', { experiment_id: experimentId }, secret)).toEqual({
      status: 403,
      body: { error_code: 'PERMISSION_DENIED', message: expect.any(String) },
    });
    // A run made through MLflow's API is in the audit trail like any other, with the request's id.
    const made = await fetch(`${platform.gatewayUrl}/api/2.0/mlflow/runs/create`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${platform.adminApiKey}`,
        'content-type': 'application/json',
        'x-request-id': 'mlflow-audit-1',
      },
      body: JSON.stringify({ experiment_id: experimentId, run_name: 'audited' }),
    });
    const runId = ((await made.json()) as { run: MlflowRun }).run.info.run_id;
    const events = await eventually(async () => {
      const log = await platform.gql<{ auditLog: { edges: { node: { action: string; requestId: string } }[] } }>(
        'query($f: AuditLogFilter) { auditLog(filter: $f, first: 10) { edges { node { action requestId } } } }',
        { f: { entityType: 'Run', entityId: runId } },
      );
      const edges = log.body.data?.auditLog.edges ?? [];
      if (edges.length === 0) throw new Error('not yet in the audit log');
      return edges.map((e) => e.node);
    });
    expect(events).toContainEqual({ action: 'run.start', requestId: 'mlflow-audit-1' });
  });
});
