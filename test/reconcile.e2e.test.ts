/**
 * The reconciler through the gateway (Mutation.reconcile) and `npm run
 * reconcile`, on a whole platform. Each fault is made by hand around the
 * services: objects under a model version and a run that have no row, a READY dataset
 * version whose file was deleted in S3, metric points of a run whose row was
 * deleted in PostgreSQL, a saga row that looks stuck, a PENDING dataset
 * version nobody commits. Each is reported exactly once, repaired, and a
 * second run finds nothing.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeStores, type StoreProbe } from './support/storeProbe';
import { eventually, startTestPlatform, type TestPlatform } from './support/testPlatform';

interface Finding {
  kind: string;
  entityType: string;
  entityId: string;
  detail: string;
  repaired: boolean;
}

interface Report {
  repair: boolean;
  graceHours: number;
  remaining: number;
  findings: Finding[];
  scanned: Record<string, number>;
}

const REPORT = `repair graceHours remaining findings { kind entityType entityId detail repaired }
  scanned { fileOwners unknownKeys metricRuns datasetVersions modelVersions activeOperations }`;
const RECONCILE = `mutation($repair: Boolean, $g: Float) { reconcile(repair: $repair, graceHours: $g) { ${REPORT} } }`;
const CLI = path.resolve(import.meta.dirname, '../ops/src/reconcile/cli.ts');
const TSX = path.resolve(import.meta.dirname, '../node_modules/.bin/tsx');

/** What a run of `npm run reconcile` printed and how it exited. */
function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(TSX, [CLI, ...args], { env, timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('reconciliation of the three stores', () => {
  let platform: TestPlatform;
  let probe: StoreProbe;
  let s3: S3Client;
  let bucket: string;
  let projectId: string;
  let experimentId: string;
  /** The faults, by what the reconciler should name. */
  const fault = { orphanVersion: '', orphanModel: '', orphanRun: '', readyVersion: '', deletedRun: '', stuckSaga: '' };
  let stuckVersion = '';
  let pendingVersion = '';

  beforeAll(async () => {
    platform = await startTestPlatform({ env: { LAB_RECONCILE_INTERVAL_MINUTES: '0', LAB_SAGA_WAIT_SECONDS: '20' } });
    probe = await probeStores(platform);
    s3 = new S3Client({
      endpoint: platform.serviceEnv.S3_ENDPOINT,
      region: platform.config.s3.region,
      forcePathStyle: true,
      credentials: {
        accessKeyId: platform.serviceEnv.S3_ACCESS_KEY_ID ?? '',
        secretAccessKey: platform.serviceEnv.S3_SECRET_ACCESS_KEY ?? '',
      },
    });
    bucket = platform.config.s3.bucket;
  }, 180_000);

  afterAll(async () => {
    s3?.destroy();
    await probe?.close();
    await platform?.stop();
  });

  async function data<T>(query: string, variables: Record<string, unknown> = {}, key?: string): Promise<T> {
    const answer = await platform.gql<T>(query, variables, key ? { key } : {});
    if (!answer.body.data || answer.body.errors) throw new Error(`${query.slice(0, 60)}: ${JSON.stringify(answer.body.errors)}`);
    return answer.body.data as T;
  }

  const reconcile = async (variables: { repair?: boolean; g?: number }) =>
    (await data<{ reconcile: Report }>(RECONCILE, variables)).reconcile;

  const put = (key: string, body: string) => s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));

  async function newDatasetVersion(label: string): Promise<{ datasetId: string; versionId: string }> {
    const dataset = await data<{ createDataset: { id: string } }>(
      'mutation($p: ID!, $n: String!) { createDataset(input: { projectId: $p, name: $n }) { id } }',
      { p: projectId, n: `ds-${label}-${randomUUID().slice(0, 8)}` },
    );
    const version = await data<{ createDatasetVersion: { id: string } }>(
      'mutation($d: ID!, $l: String!) { createDatasetVersion(input: { datasetId: $d, label: $l, format: "txt" }) { id } }',
      { d: dataset.createDataset.id, l: label },
    );
    return { datasetId: dataset.createDataset.id, versionId: version.createDatasetVersion.id };
  }

  const versionStatus = async (id: string) =>
    (await data<{ datasetVersion: { status: string } | null }>('query($id: ID!) { datasetVersion(id: $id) { status } }', { id }))
      .datasetVersion?.status;

  it('finds nothing on a fresh platform', async () => {
    const report = await reconcile({ g: 0 });
    expect(report).toMatchObject({ repair: false, graceHours: 0, remaining: 0, findings: [] });
    expect(report.scanned).toEqual({
      fileOwners: 0,
      unknownKeys: 0,
      metricRuns: 0,
      datasetVersions: 0,
      modelVersions: 0,
      activeOperations: 0,
    });
  });

  it('is for admins only', async () => {
    const user = await data<{ createUser: { id: string } }>(
      'mutation { createUser(input: { email: "not-admin@lab.test", name: "Not Admin" }) { id } }',
    );
    const key = await data<{ createApiKey: { secret: string } }>(
      'mutation($u: ID!) { createApiKey(input: { name: "k", userId: $u }) { secret } }',
      { u: user.createUser.id },
    );
    const { body } = await platform.gql(RECONCILE, { repair: true }, { key: key.createApiKey.secret });
    expect(body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('reports each fault made by hand exactly once, and leaves fresh work to the grace period', async () => {
    ({ projectId, experimentId } = await platform.newRun({ project: 'reconcile-e2e', experiment: 'e', run: 'r' }));

    // An object under a model version id that has no row.
    const model = await data<{ registerModel: { id: string } }>(
      'mutation($p: ID!) { registerModel(input: { projectId: $p, name: "orphans" }) { id } }',
      { p: projectId },
    );
    fault.orphanModel = model.registerModel.id;
    fault.orphanVersion = randomUUID();
    await put(`models/${fault.orphanModel}/artifacts/${fault.orphanVersion}/weights.bin`, 'weights nobody registered');
    // Outputs of a run that was never started, under a live experiment.
    fault.orphanRun = randomUUID();
    await put(`experiments/${experimentId}/runs/${fault.orphanRun}/outputs/model.bin`, 'outputs of no run');

    // A READY dataset version whose file was then deleted in S3.
    const ready = await newDatasetVersion('ready');
    fault.readyVersion = ready.versionId;
    const readyKey = `datasets/${ready.datasetId}/${ready.versionId}/data.txt`;
    await put(readyKey, 'rows of the ready version');
    const commit = await data<{ commitDatasetVersion: { status: string } }>(
      'mutation($id: ID!) { commitDatasetVersion(id: $id) { status } }',
      { id: ready.versionId },
    );
    expect(commit.commitDatasetVersion.status).toBe('SUCCEEDED');
    expect(await versionStatus(ready.versionId)).toBe('READY');
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: readyKey }));

    // Metric points of a run whose row was then deleted in PostgreSQL.
    const run = await data<{ startRun: { id: string } }>(
      'mutation($e: ID!) { startRun(input: { experimentId: $e, name: "deleted" }) { id } }',
      { e: experimentId },
    );
    fault.deletedRun = run.startRun.id;
    await data('mutation($r: ID!, $p: [MetricPointInput!]!) { logMetrics(runId: $r, points: $p) { accepted } }', {
      r: fault.deletedRun,
      p: Array.from({ length: 20 }, (_, step) => ({ name: 'loss', value: 1 / (step + 1), step })),
    });
    await eventually(async () => expect((await probe.metricRuns()).has(fault.deletedRun)).toBe(true));
    await probe.rows('DELETE FROM runs WHERE id = $1', [fault.deletedRun]);

    // A commit saga that has not advanced for an hour and waits for a retry tomorrow.
    const stuck = await newDatasetVersion('stuck');
    stuckVersion = stuck.versionId;
    await put(`datasets/${stuck.datasetId}/${stuck.versionId}/data.txt`, 'rows of the stuck version');
    const input = {
      datasetVersionId: stuck.versionId,
      datasetId: stuck.datasetId,
      declaredSizeBytes: null,
      declaredChecksum: null,
    };
    const [saga] = await probe.rows<{ id: string }>(
      `INSERT INTO sagas (kind, step, input, active_key, entity_type, entity_id, project_id, actor_id, actor_kind, request_id,
         attempts, error, next_attempt_at, created_at, updated_at)
       VALUES ('dataset-version.commit', 'inspect', $1::jsonb, $2, 'DatasetVersion', $3, $4::uuid, 'e2e', 'system', 'e2e',
         7, 'inspect: artifacts unreachable', now() + interval '1 day', now() - interval '1 hour', now() - interval '1 hour')
       RETURNING id::text AS id`,
      [JSON.stringify(input), `dataset-version.commit:${stuck.versionId}`, stuck.versionId, projectId],
    );
    fault.stuckSaga = saga?.id ?? '';

    // A PENDING dataset version with its file, never committed.
    const pending = await newDatasetVersion('pending');
    pendingVersion = pending.versionId;
    await put(`datasets/${pending.datasetId}/${pending.versionId}/data.txt`, 'rows of the pending version');

    const report = await reconcile({ g: 0 });
    const found = report.findings.map((f) => [f.kind, f.entityType, f.entityId]);
    expect(found).toEqual(
      expect.arrayContaining([
        ['ORPHAN_FILES', 'ModelVersion', fault.orphanVersion],
        ['ORPHAN_FILES', 'Run', fault.orphanRun],
        ['MISSING_FILES', 'DatasetVersion', fault.readyVersion],
        ['METRICS_OF_DELETED_RUN', 'Run', fault.deletedRun],
        ['STUCK_OPERATION', 'Operation', fault.stuckSaga],
        ['PENDING_DATASET_VERSION', 'DatasetVersion', pendingVersion],
      ]),
    );
    expect(found).toHaveLength(6);
    expect(report).toMatchObject({ repair: false, remaining: 6 });
    expect(report.findings.every((f) => !f.repaired)).toBe(true);
    expect(report.scanned).toMatchObject({ fileOwners: 4, metricRuns: 1, datasetVersions: 1, activeOperations: 1 });
    const stuckFinding = report.findings.find((f) => f.kind === 'STUCK_OPERATION');
    expect(stuckFinding?.detail).toContain('artifacts unreachable');

    // Reporting changed nothing.
    expect(await probe.keys(`models/${fault.orphanModel}/`)).toHaveLength(1);
    expect(await probe.keys(`experiments/${experimentId}/runs/${fault.orphanRun}/`)).toHaveLength(1);
    expect(await versionStatus(pendingVersion)).toBe('PENDING');

    // Within a grace period of an hour the fresh orphan and the fresh PENDING version are left alone.
    const graced = await reconcile({ g: 1 });
    expect(graced.findings.map((f) => f.kind).sort()).toEqual(['METRICS_OF_DELETED_RUN', 'MISSING_FILES', 'STUCK_OPERATION']);
  });

  it('npm run reconcile prints the same findings and exits 1 while they remain, 2 when a service is unreachable', async () => {
    const env = { ...platform.serviceEnv, LOG_LEVEL: 'error' };
    const json = await runCli(['--json', '--grace-hours', '0'], env);
    expect(json.code, json.stderr).toBe(1);
    const report = JSON.parse(json.stdout) as Report;
    expect(report.findings.map((f) => f.kind).sort()).toEqual([
      'METRICS_OF_DELETED_RUN',
      'MISSING_FILES',
      'ORPHAN_FILES',
      'ORPHAN_FILES',
      'PENDING_DATASET_VERSION',
      'STUCK_OPERATION',
    ]);
    expect(report.remaining).toBe(6);

    const table = await runCli(['--grace-hours', '0'], env);
    expect(table.code).toBe(1);
    expect(table.stdout).toContain(`ORPHAN_FILES             ModelVersion ${fault.orphanVersion}`);
    expect(table.stdout).toContain('6 found, 0 repaired, 6 remaining');

    const unreachable = await runCli(['--grace-hours', '0'], { ...env, METRICS_PORT: '1' });
    expect(unreachable.code).toBe(2);
    expect(unreachable.stderr).toMatch(/reconcile failed: .*unreachable/);

    const badFlag = await runCli(['--grace-hours', 'soon'], env);
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toContain('usage: npm run reconcile');
  });

  it('repairs each fault, and a second run finds nothing', async () => {
    const report = await reconcile({ repair: true, g: 0 });
    expect(report.findings).toHaveLength(6);
    expect(report.findings.filter((f) => !f.repaired)).toEqual([]);
    expect(report.remaining).toBe(0);

    expect(await probe.keys(`models/${fault.orphanModel}/`)).toEqual([]);
    expect(await probe.keys(`experiments/${experimentId}/runs/${fault.orphanRun}/`)).toEqual([]);
    expect(await versionStatus(fault.readyVersion)).toBe('FAILED');
    expect((await probe.metricRuns()).has(fault.deletedRun)).toBe(false);
    const failed = await probe.rows<{ actor_kind: string; action: string }>(
      "SELECT actor_kind, action FROM audit_outbox WHERE entity_id = $1 AND action = 'datasetVersion.fail'",
      [fault.readyVersion],
    );
    expect(failed).toEqual([{ actor_kind: 'system', action: 'datasetVersion.fail' }]);
    // The stuck commit resumed and the pending version was committed, by the registry's orchestrator.
    await eventually(async () => expect(await versionStatus(stuckVersion)).toBe('READY'), 30_000, 250);
    await eventually(async () => expect(await versionStatus(pendingVersion)).toBe('READY'), 30_000, 250);

    const again = await reconcile({ repair: true, g: 0 });
    expect(again.findings).toEqual([]);
    expect(again.scanned).toMatchObject({ fileOwners: 2, metricRuns: 0, datasetVersions: 2, activeOperations: 0 });
  });

  it('npm run reconcile without the internal secret asks the gateway as the admin, and exits 0 when nothing is found', async () => {
    const { LAB_INTERNAL_SECRET: _secret, ...env } = platform.serviceEnv;
    const table = await runCli(['--grace-hours', '0'], { ...env, LOG_LEVEL: 'error' });
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toContain('Nothing found: the stores agree.');
    expect(table.stdout).toContain('Scanned: 2 file owners');
  });
});
