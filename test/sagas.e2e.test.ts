/**
 * The cross-store sagas under faults, with real processes and stores: each
 * saga with the registry killed right after each of its steps (and of its
 * compensation), with a subgraph killed, with the S3 server and PostgreSQL
 * stopped mid-way. After the restart every operation is either fully done or
 * fully compensated: no row, object or metric left over, and the reconciler
 * finds nothing.
 */
import { createHash, randomUUID } from 'node:crypto';
import path from 'node:path';
import { startEmbeddedPostgres, startEmbeddedS3 } from '@lab/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeStores, type StoreProbe } from './support/storeProbe';
import { eventually, startTestPlatform, type TestPlatform } from './support/testPlatform';

interface Operation {
  id: string;
  kind: string;
  status: 'RUNNING' | 'COMPENSATING' | 'SUCCEEDED' | 'FAILED';
  step: string;
  attempts: number;
  error: string | null;
  entityId: string;
  result: Record<string, unknown>;
}

const OPERATION = 'id kind status step attempts error entityId result';
const SETTLE_MS = 120_000;

const sha256 = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

describe('sagas across the three stores', () => {
  let platform: TestPlatform;
  let probe: StoreProbe;

  beforeAll(async () => {
    platform = await startTestPlatform({
      env: { LAB_SAGA_LEASE_SECONDS: '2', LAB_SAGA_WAIT_SECONDS: '20', LAB_RECONCILE_INTERVAL_MINUTES: '0' },
    });
    probe = await probeStores(platform);
  }, 180_000);

  afterAll(async () => {
    await probe?.close();
    await platform?.stop();
  });

  async function data<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const answer = await platform.gql<T>(query, variables);
    if (!answer.body.data || answer.body.errors) throw new Error(`${query.slice(0, 60)}: ${JSON.stringify(answer.body.errors)}`);
    return answer.body.data as T;
  }

  async function newProject(): Promise<string> {
    const made = await data<{ createProject: { id: string } }>(
      'mutation($n: String!) { createProject(input: { name: $n }) { id } }',
      {
        n: `sagas-${randomUUID().slice(0, 8)}`,
      },
    );
    return made.createProject.id;
  }

  async function upload(ownerKind: string, ownerId: string, name: string, bytes: Buffer): Promise<void> {
    const asked = await data<{ requestUpload: { uploadId: string; url: string; headers: { name: string; value: string }[] } }>(
      `mutation($input: RequestUploadInput!) { requestUpload(input: $input) { uploadId url headers { name value } } }`,
      { input: { ownerKind, ownerId, name, sizeBytes: bytes.length, checksum: sha256(bytes) } },
    );
    const plan = asked.requestUpload;
    const put = await fetch(plan.url, {
      method: 'PUT',
      headers: Object.fromEntries(plan.headers.map((h) => [h.name, h.value])),
      body: new Uint8Array(bytes),
    });
    expect(put.status).toBe(200);
    await data('mutation($id: ID!) { completeUpload(uploadId: $id) { id } }', { id: plan.uploadId });
  }

  async function newDatasetVersion(projectId: string, declared: { checksum?: string } = {}) {
    const dataset = await data<{ createDataset: { id: string } }>(
      'mutation($p: ID!, $n: String!) { createDataset(input: { projectId: $p, name: $n }) { id } }',
      { p: projectId, n: `ds-${randomUUID().slice(0, 8)}` },
    );
    const version = await data<{ createDatasetVersion: { id: string } }>(
      'mutation($d: ID!, $c: String) { createDatasetVersion(input: { datasetId: $d, label: "v1", format: "txt", checksum: $c }) { id } }',
      { d: dataset.createDataset.id, c: declared.checksum ?? null },
    );
    return { datasetId: dataset.createDataset.id, versionId: version.createDatasetVersion.id };
  }

  /** An experiment with two runs, each with metric points and two output files. */
  async function experimentWithData(projectId: string) {
    const experiment = await data<{ createExperiment: { id: string } }>(
      'mutation($p: ID!, $n: String!) { createExperiment(input: { projectId: $p, name: $n }) { id } }',
      { p: projectId, n: `exp-${randomUUID().slice(0, 8)}` },
    );
    const experimentId = experiment.createExperiment.id;
    const runIds: string[] = [];
    for (const name of ['a', 'b']) {
      const run = await data<{ startRun: { id: string } }>(
        'mutation($e: ID!, $n: String!) { startRun(input: { experimentId: $e, name: $n }) { id } }',
        {
          e: experimentId,
          n: name,
        },
      );
      const runId = run.startRun.id;
      runIds.push(runId);
      await data('mutation($r: ID!, $p: [MetricPointInput!]!) { logMetrics(runId: $r, points: $p) { accepted } }', {
        r: runId,
        p: Array.from({ length: 50 }, (_, step) => ({ name: 'loss', value: 1 / (step + 1), step })),
      });
      await upload('RUN', runId, 'model.bin', Buffer.from(`weights of ${runId}`));
      await upload('RUN', runId, 'eval/report.json', Buffer.from(`{"run":"${runId}"}`));
    }
    return { experimentId, runIds };
  }

  async function operationOn(entityId: string, kind: string): Promise<Operation | undefined> {
    const found = await data<{ operations: { edges: { node: Operation }[] } }>(
      `query($e: ID!, $k: String!) { operations(filter: { entityId: $e, kind: $k }, first: 5) { edges { node { ${OPERATION} } } } }`,
      { e: entityId, k: kind },
    );
    return found.operations.edges[0]?.node;
  }

  /** The operation on `entityId` once it ended (the registry may be restarting in between). */
  async function settled(entityId: string, kind: string): Promise<Operation> {
    return eventually(
      async () => {
        const op = await operationOn(entityId, kind);
        expect(op?.status).toMatch(/^(SUCCEEDED|FAILED)$/);
        return op as Operation;
      },
      SETTLE_MS,
      500,
    );
  }

  /** Sends a mutation that may lose its answer (the registry is killed under it). */
  async function send(query: string, variables: Record<string, unknown>): Promise<void> {
    await platform.gql(query, variables).catch(() => undefined);
  }

  /** Restarts the registry with these faults injected, runs `work`, then restarts it without. */
  async function withFaults(faults: string[], work: () => Promise<void>): Promise<void> {
    const registry = platform.services.registry;
    await registry.stop();
    registry.spec.env.LAB_SAGA_FAULTS = faults.join(',');
    await registry.start();
    try {
      await work();
    } finally {
      await registry.stop();
      registry.spec.env.LAB_SAGA_FAULTS = '';
      await registry.start();
    }
  }

  const COMMIT = 'mutation($id: ID!) { commitDatasetVersion(id: $id) { id status } }';
  const DELETE = 'mutation($id: ID!) { deleteExperiment(id: $id) { id status } }';
  const FROM_RUN = `mutation($m: ID!, $r: ID!, $f: [String!]) {
    createModelVersionFromRun(input: { modelId: $m, runId: $r, files: $f }) { id status } }`;

  async function newModel(projectId: string): Promise<string> {
    const made = await data<{ registerModel: { id: string } }>(
      'mutation($p: ID!, $n: String!) { registerModel(input: { projectId: $p, name: $n }) { id } }',
      { p: projectId, n: `model-${randomUUID().slice(0, 8)}` },
    );
    return made.registerModel.id;
  }

  async function expectExperimentGone(experimentId: string, runIds: string[]): Promise<void> {
    expect(await probe.rows('SELECT id FROM experiments WHERE id = $1', [experimentId])).toEqual([]);
    expect(await probe.rows('SELECT id FROM runs WHERE experiment_id = $1', [experimentId])).toEqual([]);
    expect(await probe.keys(`experiments/${experimentId}/`)).toEqual([]);
    const withPoints = await probe.metricRuns();
    for (const runId of runIds) expect(withPoints.has(runId)).toBe(false);
  }

  async function expectModelVersionFrom(modelId: string, runId: string): Promise<void> {
    const model = await data<{
      model: {
        versions: { totalCount: number; edges: { node: { id: string; version: number; sourceRun: { id: string } | null } }[] };
      };
    }>('query($m: ID!) { model(id: $m) { versions(first: 10) { totalCount edges { node { id version sourceRun { id } } } } } }', {
      m: modelId,
    });
    expect(model.model.versions.totalCount).toBe(1);
    const version = model.model.versions.edges[0]?.node;
    expect(version?.version).toBe(1);
    expect(version?.sourceRun?.id).toBe(runId);
    const files = await probe.keys(`models/${modelId}/artifacts/${version?.id}/`);
    expect(files.map((k) => k.split('/').slice(4).join('/')).sort()).toEqual(['eval/report.json', 'model.bin']);
  }

  describe('without faults', () => {
    it('commits a dataset version whose file is verified: READY with its size and checksum', async () => {
      const projectId = await newProject();
      const { versionId } = await newDatasetVersion(projectId);
      const bytes = Buffer.from('id,text\n1,hello\n');
      await upload('DATASET_VERSION', versionId, 'data.csv', bytes);
      const op = await data<{ commitDatasetVersion: Operation }>(
        `mutation($id: ID!) { commitDatasetVersion(id: $id) { ${OPERATION} datasetVersion { status sizeBytes checksum } } }`,
        { id: versionId },
      );
      expect(op.commitDatasetVersion).toMatchObject({ kind: 'dataset-version.commit', status: 'SUCCEEDED', step: 'ready' });
      expect((op.commitDatasetVersion as unknown as { datasetVersion: unknown }).datasetVersion).toEqual({
        status: 'READY',
        sizeBytes: bytes.length,
        checksum: sha256(bytes),
      });
      const again = await platform.gql(COMMIT, { id: versionId });
      expect(again.body.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    });

    it('fails a commit whose file does not match the declared checksum: the object removed, the version FAILED', async () => {
      const projectId = await newProject();
      const { versionId, datasetId } = await newDatasetVersion(projectId, { checksum: sha256(Buffer.from('other bytes')) });
      await upload('DATASET_VERSION', versionId, 'data.csv', Buffer.from('the real bytes'));
      const op = await data<{ commitDatasetVersion: Operation }>(
        `mutation($id: ID!) { commitDatasetVersion(id: $id) { ${OPERATION} } }`,
        {
          id: versionId,
        },
      );
      expect(op.commitDatasetVersion.status).toBe('FAILED');
      expect(op.commitDatasetVersion.error).toMatch(/checksum/);
      expect(await probe.keys(`datasets/${datasetId}/${versionId}/`)).toEqual([]);
      expect(await probe.rows('SELECT status::text FROM dataset_versions WHERE id = $1', [versionId])).toEqual([
        { status: 'FAILED' },
      ]);
    });

    it('deletes an experiment from PostgreSQL, ClickHouse and S3', async () => {
      const projectId = await newProject();
      const { experimentId, runIds } = await experimentWithData(projectId);
      expect(await probe.keys(`experiments/${experimentId}/`)).toHaveLength(4);
      const op = await data<{ deleteExperiment: Operation }>(
        `mutation($id: ID!) { deleteExperiment(id: $id) { ${OPERATION} } }`,
        {
          id: experimentId,
        },
      );
      expect(op.deleteExperiment).toMatchObject({ status: 'SUCCEEDED', step: 'purge' });
      expect(op.deleteExperiment.result).toMatchObject({ deletedPoints: 100, deletedFiles: 4 });
      const gone = await platform.gql('query($id: ID!) { experiment(id: $id) { id } }', { id: experimentId });
      expect(gone.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
      await expectExperimentGone(experimentId, runIds);
      // Nothing can be written to its runs any more.
      const late = await platform.gql(
        'mutation($r: ID!) { logMetrics(runId: $r, points: [{ name: "loss", value: 1, step: 99 }]) { accepted } }',
        {
          r: runIds[0],
        },
      );
      expect(late.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
      const upload = await platform.gql(
        'mutation($r: ID!) { requestUpload(input: { ownerKind: RUN, ownerId: $r, name: "late.bin", sizeBytes: 1 }) { uploadId } }',
        { r: runIds[0] },
      );
      expect(upload.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
      // Deleting it again answers the same deletion.
      const again = await data<{ deleteExperiment: Operation }>(
        `mutation($id: ID!) { deleteExperiment(id: $id) { ${OPERATION} } }`,
        {
          id: experimentId,
        },
      );
      expect(again.deleteExperiment).toMatchObject({ id: op.deleteExperiment.id, status: 'SUCCEEDED' });
    });

    it("registers a model version from a run's outputs, and fails cleanly when the run has none of the files asked", async () => {
      const projectId = await newProject();
      const { runIds } = await experimentWithData(projectId);
      const runId = runIds[0] as string;
      const modelId = await newModel(projectId);
      const made = await data<{ createModelVersionFromRun: Operation & { modelVersion: { version: number } | null } }>(
        `mutation($m: ID!, $r: ID!) { createModelVersionFromRun(input: { modelId: $m, runId: $r }) { ${OPERATION} modelVersion { version } } }`,
        { m: modelId, r: runId },
      );
      expect(made.createModelVersionFromRun).toMatchObject({ status: 'SUCCEEDED', modelVersion: { version: 1 } });
      await expectModelVersionFrom(modelId, runId);

      const other = await newModel(projectId);
      const failed = await data<{ createModelVersionFromRun: Operation }>(
        `mutation($m: ID!, $r: ID!) { createModelVersionFromRun(input: { modelId: $m, runId: $r, files: ["missing.bin"] }) { ${OPERATION} } }`,
        { m: other, r: runId },
      );
      expect(failed.createModelVersionFromRun.status).toBe('FAILED');
      expect(await probe.keys(`models/${other}/`)).toEqual([]);
      expect(await probe.rows('SELECT id FROM model_versions WHERE model_id = $1', [other])).toEqual([]);
    });
  });

  describe('with the registry killed right after each step', () => {
    it('commits a dataset version', async () => {
      const projectId = await newProject();
      const { versionId } = await newDatasetVersion(projectId);
      const bytes = Buffer.from('a,b\n1,2\n');
      await upload('DATASET_VERSION', versionId, 'data.csv', bytes);
      await withFaults(['dataset-version.commit/inspect/crash-after', 'dataset-version.commit/ready/crash-after'], async () => {
        await send(COMMIT, { id: versionId });
        expect(await settled(versionId, 'dataset-version.commit')).toMatchObject({ status: 'SUCCEEDED' });
      });
      expect(await probe.rows('SELECT status::text, checksum FROM dataset_versions WHERE id = $1', [versionId])).toEqual([
        { status: 'READY', checksum: sha256(bytes) },
      ]);
    });

    it('compensates a failed commit', async () => {
      const projectId = await newProject();
      const { versionId, datasetId } = await newDatasetVersion(projectId, { checksum: sha256(Buffer.from('declared')) });
      await upload('DATASET_VERSION', versionId, 'data.csv', Buffer.from('uploaded'));
      await withFaults(
        ['dataset-version.commit/removeFiles/crash-after', 'dataset-version.commit/markFailed/crash-after'],
        async () => {
          await send(COMMIT, { id: versionId });
          expect(await settled(versionId, 'dataset-version.commit')).toMatchObject({ status: 'FAILED' });
        },
      );
      expect(await probe.keys(`datasets/${datasetId}/${versionId}/`)).toEqual([]);
      expect(await probe.rows('SELECT status::text FROM dataset_versions WHERE id = $1', [versionId])).toEqual([
        { status: 'FAILED' },
      ]);
    });

    it('deletes an experiment', async () => {
      const projectId = await newProject();
      const { experimentId, runIds } = await experimentWithData(projectId);
      const steps = ['deleteMetrics', 'deleteFiles', 'purge'];
      await withFaults(
        steps.map((s) => `experiment.delete/${s}/crash-after`),
        async () => {
          await send(DELETE, { id: experimentId });
          expect(await settled(experimentId, 'experiment.delete')).toMatchObject({ status: 'SUCCEEDED' });
        },
      );
      await expectExperimentGone(experimentId, runIds);
    });

    it('deletes a run, leaving its siblings', async () => {
      const projectId = await newProject();
      const { experimentId, runIds } = await experimentWithData(projectId);
      const [doomed, kept] = runIds as [string, string];
      await withFaults(
        ['deleteMetrics', 'deleteFiles', 'purge'].map((s) => `run.delete/${s}/crash-after`),
        async () => {
          await send('mutation($id: ID!) { deleteRun(id: $id) { id status } }', { id: doomed });
          expect(await settled(doomed, 'run.delete')).toMatchObject({ status: 'SUCCEEDED' });
        },
      );
      expect(await probe.rows('SELECT id FROM runs WHERE id = $1', [doomed])).toEqual([]);
      expect(await probe.keys(`experiments/${experimentId}/runs/${doomed}/`)).toEqual([]);
      expect(await probe.keys(`experiments/${experimentId}/runs/${kept}/`)).toHaveLength(2);
      const withPoints = await probe.metricRuns();
      expect(withPoints.has(doomed)).toBe(false);
      expect(withPoints.has(kept)).toBe(true);
    });

    it('registers a model version from a run, once', async () => {
      const projectId = await newProject();
      const { runIds } = await experimentWithData(projectId);
      const modelId = await newModel(projectId);
      await withFaults(
        ['model-version.from-run/copyFiles/crash-after', 'model-version.from-run/createVersion/crash-after'],
        async () => {
          await send(FROM_RUN, { m: modelId, r: runIds[0], f: null });
          expect(await settled(modelId, 'model-version.from-run')).toMatchObject({ status: 'SUCCEEDED' });
        },
      );
      await expectModelVersionFrom(modelId, runIds[0] as string);
    });

    it('compensates a model version that cannot be created', async () => {
      const projectId = await newProject();
      const { runIds } = await experimentWithData(projectId);
      const modelId = await newModel(projectId);
      await withFaults(
        ['model-version.from-run/createVersion/fail', 'model-version.from-run/removeFiles/crash-after'],
        async () => {
          await send(FROM_RUN, { m: modelId, r: runIds[0], f: null });
          expect(await settled(modelId, 'model-version.from-run')).toMatchObject({ status: 'FAILED' });
        },
      );
      expect(await probe.keys(`models/${modelId}/`)).toEqual([]);
      expect(await probe.rows('SELECT id FROM model_versions WHERE model_id = $1', [modelId])).toEqual([]);
    });
  });

  describe('with a service or store down', () => {
    it('waits for the artifacts subgraph, then commits', async () => {
      const projectId = await newProject();
      const { versionId } = await newDatasetVersion(projectId);
      await upload('DATASET_VERSION', versionId, 'data.csv', Buffer.from('x\n'));
      await platform.services.artifacts.stop('SIGKILL');
      try {
        const op = await data<{ commitDatasetVersion: Operation }>(
          `mutation($id: ID!) { commitDatasetVersion(id: $id) { ${OPERATION} } }`,
          {
            id: versionId,
          },
        );
        expect(op.commitDatasetVersion).toMatchObject({ status: 'RUNNING', step: 'inspect' });
        expect(op.commitDatasetVersion.error).toBe('inspect: the artifacts service is unavailable');
      } finally {
        await platform.services.artifacts.start();
      }
      expect(await settled(versionId, 'dataset-version.commit')).toMatchObject({ status: 'SUCCEEDED' });
    });

    it('while ClickHouse (the metrics process) is down, sagas that do not need it finish and a deletion waits for it', async () => {
      const projectId = await newProject();
      const doomed = await experimentWithData(projectId);
      const source = await experimentWithData(projectId);
      const { versionId } = await newDatasetVersion(projectId);
      await upload('DATASET_VERSION', versionId, 'data.csv', Buffer.from('y\n'));
      const modelId = await newModel(projectId);
      await platform.services.metrics.stop('SIGKILL');
      try {
        const deleting = await data<{ deleteExperiment: Operation }>(
          `mutation($id: ID!) { deleteExperiment(id: $id) { ${OPERATION} } }`,
          {
            id: doomed.experimentId,
          },
        );
        expect(deleting.deleteExperiment).toMatchObject({ status: 'RUNNING', step: 'deleteMetrics' });
        const gone = await platform.gql('query($id: ID!) { experiment(id: $id) { id } }', { id: doomed.experimentId });
        expect(gone.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
        const committed = await data<{ commitDatasetVersion: Operation }>(COMMIT, { id: versionId });
        expect(committed.commitDatasetVersion.status).toBe('SUCCEEDED');
        const made = await data<{ createModelVersionFromRun: Operation }>(FROM_RUN, { m: modelId, r: source.runIds[0], f: null });
        expect(made.createModelVersionFromRun.status).toBe('SUCCEEDED');
      } finally {
        await platform.services.metrics.start();
      }
      expect(await settled(doomed.experimentId, 'experiment.delete')).toMatchObject({ status: 'SUCCEEDED' });
      await expectExperimentGone(doomed.experimentId, doomed.runIds);
      await expectModelVersionFrom(modelId, source.runIds[0] as string);
    });

    it('waits for the S3 server, then registers the model version', async () => {
      const projectId = await newProject();
      const { runIds } = await experimentWithData(projectId);
      const modelId = await newModel(projectId);
      const s3 = platform.stores.s3;
      if (!s3) throw new Error('the platform runs no embedded S3');
      await s3.stop();
      try {
        const op = await data<{ createModelVersionFromRun: Operation }>(
          `mutation($m: ID!, $r: ID!) { createModelVersionFromRun(input: { modelId: $m, runId: $r }) { ${OPERATION} } }`,
          { m: modelId, r: runIds[0] },
        );
        expect(op.createModelVersionFromRun).toMatchObject({ status: 'RUNNING', step: 'copyFiles' });
        expect(op.createModelVersionFromRun.error).toBe(
          'copyFiles: the artifacts service cannot do it now (its store or a service it depends on is unavailable)',
        );
      } finally {
        platform.stores.s3 = await startEmbeddedS3({ dataDir: path.join(platform.config.dataDir, 's3'), port: s3.port });
      }
      expect(await settled(modelId, 'model-version.from-run')).toMatchObject({ status: 'SUCCEEDED' });
      await expectModelVersionFrom(modelId, runIds[0] as string);
    });

    it('deletes the metrics, then waits for the S3 server to delete the files', async () => {
      const projectId = await newProject();
      const { experimentId, runIds } = await experimentWithData(projectId);
      const s3 = platform.stores.s3;
      if (!s3) throw new Error('the platform runs no embedded S3');
      await s3.stop();
      try {
        const op = await data<{ deleteExperiment: Operation }>(
          `mutation($id: ID!) { deleteExperiment(id: $id) { ${OPERATION} } }`,
          {
            id: experimentId,
          },
        );
        expect(op.deleteExperiment).toMatchObject({ status: 'RUNNING', step: 'deleteFiles', result: { deletedPoints: 100 } });
        const withPoints = await probe.metricRuns();
        for (const runId of runIds) expect(withPoints.has(runId)).toBe(false);
      } finally {
        platform.stores.s3 = await startEmbeddedS3({ dataDir: path.join(platform.config.dataDir, 's3'), port: s3.port });
      }
      expect(await settled(experimentId, 'experiment.delete')).toMatchObject({ status: 'SUCCEEDED' });
      await expectExperimentGone(experimentId, runIds);
    });

    it('waits for PostgreSQL, then finishes a deletion', async () => {
      const projectId = await newProject();
      const { experimentId, runIds } = await experimentWithData(projectId);
      await platform.services.metrics.stop('SIGKILL');
      const deleting = await data<{ deleteExperiment: Operation }>(DELETE, { id: experimentId });
      expect(deleting.deleteExperiment.status).toBe('RUNNING');
      const postgres = platform.stores.postgres;
      if (!postgres) throw new Error('the platform runs no embedded PostgreSQL');
      await postgres.stop();
      await platform.services.metrics.start().catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 3000));
      platform.stores.postgres = await startEmbeddedPostgres({
        dataDir: path.join(platform.config.dataDir, 'postgres'),
        port: postgres.port,
      });
      expect(await settled(experimentId, 'experiment.delete')).toMatchObject({ status: 'SUCCEEDED' });
      await expectExperimentGone(experimentId, runIds);
    });
  });

  it('leaves nothing for the reconciler to find', async () => {
    expect(await probe.findings()).toEqual([]);
  });
});
