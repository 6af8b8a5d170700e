/**
 * `npm run import -- mlflow <mlruns> --project <id>` against a running
 * platform: an mlruns tree written in MLflow's file store layout (two
 * experiments, five runs, one deleted run and one deleted experiment, params
 * with "/" and "." keys, git and note tags, a metric of 1,000,000 points,
 * history older than the retention, a NaN, artifacts) imported through the
 * gateway and checked as a user would (runs, params, source, status and
 * times, metric last/min/max and counts, a zoomed series, files downloaded);
 * then imported twice more, once complete and once after an interruption,
 * storing nothing twice.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImportSummary } from '../ops/src/import/importSummary';
import { writeExperiment, writeLongMetric, writeRun } from '../ops/src/import/mlrunsWriter';
import { startTestPlatform, TEST_ADMIN_KEY, type TestPlatform } from './support/testPlatform';

const CLI = path.resolve(import.meta.dirname, '../ops/src/import/cli.ts');
const TSX = path.resolve(import.meta.dirname, '../node_modules/.bin/tsx');
const BIG = 1_000_000;
const DAY = 86_400_000;
const T0 = Date.now() - 30 * DAY;
const ids = {
  big: '0a0a0a0a0a0a4a0a8a0a0a0a0a0a0a01',
  failed: '0a0a0a0a0a0a4a0a8a0a0a0a0a0a0a02',
  running: '0a0a0a0a0a0a4a0a8a0a0a0a0a0a0a03',
  history: '0b0b0b0b0b0b4b0b8b0b0b0b0b0b0b01',
  plain: '0b0b0b0b0b0b4b0b8b0b0b0b0b0b0b02',
  deleted: '0b0b0b0b0b0b4b0b8b0b0b0b0b0b0b03',
};
const WEIGHTS = Uint8Array.from({ length: 300_000 }, (_, i) => (i * 31) % 251);

const RUNS = `query($e: ID!) { experiment(id: $e) { name tags runs(first: 50) { totalCount edges { node {
  id name status startTime endTime params tags notes source { commit branch entryPoint }
  metrics { name last min max count }
  outputs(first: 10) { totalCount edges { node { name sizeBytes downloadUrl } } }
} } } } }`;

type Run = {
  id: string;
  name: string;
  status: string;
  startTime: string;
  endTime: string | null;
  params: Record<string, string>;
  tags: Record<string, string>;
  notes: string;
  source: { commit: string | null; branch: string | null; entryPoint: string | null } | null;
  metrics: { name: string; last: number; min: number; max: number; count: number }[];
  outputs: { totalCount: number; edges: { node: { name: string; sizeBytes: number; downloadUrl: string } }[] };
};

function runImport(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(TSX, [CLI, ...args], { env, timeout: 180_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

describe('npm run import -- mlflow', () => {
  let platform: TestPlatform;
  let root: string;
  let projectId: string;
  let first: ImportSummary;

  const importOnce = async (): Promise<ImportSummary> => {
    const env = { ...process.env, LAB_API_KEY: TEST_ADMIN_KEY };
    const result = await runImport(['mlflow', root, '--project', projectId, '--url', platform.gatewayUrl, '--json'], env);
    expect(result.code, result.stderr).toBe(0);
    return JSON.parse(result.stdout) as ImportSummary;
  };

  async function experimentNamed(
    name: string,
  ): Promise<{ name: string; tags: Record<string, string>; runs: Run[]; total: number }> {
    const list = await platform.gql<{ experiments: { edges: { node: { id: string; name: string } }[] } }>(
      `query($p: ID!) { experiments(filter: { projectId: $p }, first: 100) { edges { node { id name } } } }`,
      { p: projectId },
    );
    const id = list.body.data?.experiments.edges.find((e) => e.node.name === name)?.node.id;
    expect(id, name).toBeTruthy();
    const answer = await platform.gql<{
      experiment: { name: string; tags: Record<string, string>; runs: { totalCount: number; edges: { node: Run }[] } };
    }>(RUNS, { e: id });
    expect(answer.body.errors).toBeUndefined();
    const experiment = answer.body.data?.experiment;
    if (!experiment) throw new Error('no experiment');
    return { ...experiment, runs: experiment.runs.edges.map((e) => e.node), total: experiment.runs.totalCount };
  }

  beforeAll(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'mlruns-e2e-'));
    writeExperiment(root, { id: '0', name: 'Default' });
    writeExperiment(root, { id: '1', name: 'llm-sweep', tags: { 'mlflow.note.content': 'learning-rate sweep' } });
    writeExperiment(root, { id: '2', name: 'ablation' });
    writeExperiment(root, { id: '3', name: 'abandoned', deleted: true });
    const bigDir = writeRun(root, '1', {
      id: ids.big,
      name: 'bold-cat-1',
      startTimeMs: T0,
      endTimeMs: T0 + 3_600_000,
      userId: 'ada',
      params: { lr: '0.0003', 'optimizer/name': 'adamw', 'optimizer/betas/beta1': '0.9', 'model.n_layers': '24' },
      tags: {
        'mlflow.source.git.commit': '9f2c1ab4d5e6f708192a3b4c5d6e7f8091a2b3c4',
        'mlflow.source.git.branch': 'main',
        'mlflow.source.name': 'train.py',
        'mlflow.source.type': 'LOCAL',
        'mlflow.note.content': '## Baseline\nfirst try',
        team: 'nlp',
      },
      metrics: { val_loss: [0.9, 0.5, 0.7].map((value, step) => ({ timestampMs: T0 + step * 1000, value, step })) },
      artifacts: { 'model/weights.bin': WEIGHTS, 'config.yaml': 'lr: 0.0003\n' },
    });
    await writeLongMetric(
      bigDir,
      'train/loss',
      BIG,
      (i) => T0 + i,
      (i) => 1 / (i + 1),
    );
    writeRun(root, '1', {
      id: ids.failed,
      name: 'calm-dog-2',
      status: 'FAILED',
      startTimeMs: T0 + DAY,
      endTimeMs: T0 + DAY + 60_000,
      params: { lr: '0.001' },
      metrics: {
        val_loss: [
          { timestampMs: T0 + DAY, value: 1.5, step: 0 },
          { timestampMs: T0 + DAY + 1, value: 'nan', step: 1 },
        ],
      },
    });
    writeRun(root, '1', { id: ids.running, name: 'live-owl-3', status: 'RUNNING', startTimeMs: T0 + 2 * DAY });
    const old = Date.now() - 400 * DAY;
    writeRun(root, '2', {
      id: ids.history,
      name: 'old-fox-4',
      startTimeMs: old,
      endTimeMs: Date.now() - DAY,
      params: { 'bad key': 'x', dropout: '0.1' },
      metrics: {
        acc: [
          ...Array.from({ length: 10 }, (_, step) => ({ timestampMs: old + step, value: step / 100, step })),
          ...Array.from({ length: 5 }, (_, k) => ({ timestampMs: Date.now() - DAY + k, value: 0.5 + k / 10, step: 10 + k })),
        ],
      },
    });
    writeRun(root, '2', { id: ids.plain, name: 'shy-elk-5', startTimeMs: T0, endTimeMs: T0 + 1, params: { dropout: '0.2' } });
    writeRun(root, '2', { id: ids.deleted, name: 'gone-6', startTimeMs: T0, deleted: true });

    platform = await startTestPlatform();
    const project = await platform.gql<{ createProject: { id: string } }>(
      `mutation { createProject(input: { name: "imported" }) { id } }`,
    );
    projectId = project.body.data?.createProject.id as string;
    first = await importOnce();
    process.stdout.write(`first import: ${first.seconds.toFixed(1)} s, ${first.metrics.pointsSent} points\n`);
  }, 300_000);

  afterAll(async () => {
    await platform?.stop();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('reports what it imported, the history older than the retention, and what the rules left out', () => {
    expect(first.experiments).toEqual({ created: 3, reused: 0, deletedSkipped: 1 });
    expect(first.runs).toEqual({ imported: 5, completed: 0, alreadyImported: 0, deletedSkipped: 1 });
    expect(first.metrics).toMatchObject({ series: 4, pointsSent: BIG + 3 + 1 + 5, invalidPoints: 1 });
    expect(first.retention).toMatchObject({ days: 365, pointsLeftOut: 10 });
    expect(first.artifacts).toMatchObject({ uploaded: 2, bytes: WEIGHTS.length + 11 });
    expect(first.leftOut.map((l) => l.what)).toEqual(
      expect.arrayContaining([`run ${ids.history} param bad key`, `run ${ids.failed} metric val_loss: 1 point(s)`]),
    );
  });

  it('creates the runs with params, tags, source, notes, status and times', async () => {
    const sweep = await experimentNamed('llm-sweep');
    expect(sweep.tags).toEqual({ 'mlflow.experiment_id': '1' });
    expect(sweep.runs.map((r) => r.name).sort()).toEqual(['bold-cat-1', 'calm-dog-2', 'live-owl-3']);
    const big = sweep.runs.find((r) => r.name === 'bold-cat-1') as Run;
    expect(big.params).toEqual({
      lr: '0.0003',
      'optimizer/name': 'adamw',
      'optimizer/betas/beta1': '0.9',
      'model.n_layers': '24',
    });
    expect(big.tags).toEqual({
      'mlflow.run_id': ids.big,
      'mlflow.user': 'ada',
      'mlflow.source.type': 'LOCAL',
      team: 'nlp',
      'lab.import': 'complete',
    });
    expect(big.source).toEqual({ commit: '9f2c1ab4d5e6f708192a3b4c5d6e7f8091a2b3c4', branch: 'main', entryPoint: 'train.py' });
    expect(big.notes).toBe('## Baseline\nfirst try');
    expect(big.status).toBe('COMPLETED');
    expect(Date.parse(big.startTime)).toBe(T0);
    expect(Date.parse(big.endTime ?? '')).toBe(T0 + 3_600_000);
    const failed = sweep.runs.find((r) => r.name === 'calm-dog-2') as Run;
    expect([failed.status, Date.parse(failed.endTime ?? '')]).toEqual(['FAILED', T0 + DAY + 60_000]);
    expect(sweep.runs.find((r) => r.name === 'live-owl-3')?.status).toBe('RUNNING');
    const ablation = await experimentNamed('ablation');
    expect(ablation.runs.map((r) => r.name).sort()).toEqual(['old-fox-4', 'shy-elk-5']);
    expect(ablation.runs.find((r) => r.name === 'old-fox-4')?.params).toEqual({ dropout: '0.1' });
  });

  it('stores every metric point: last/min/max, counts, a zoomed series, history within the retention', async () => {
    const sweep = await experimentNamed('llm-sweep');
    const big = sweep.runs.find((r) => r.name === 'bold-cat-1') as Run;
    const byName = Object.fromEntries(big.metrics.map((m) => [m.name, m]));
    expect(byName['train/loss']).toEqual({ name: 'train/loss', last: 1 / BIG, min: 1 / BIG, max: 1, count: BIG });
    expect(byName.val_loss).toEqual({ name: 'val_loss', last: 0.7, min: 0.5, max: 0.9, count: 3 });
    const zoom = await platform.gql<{ run: { metricSeries: { exact: boolean; points: { step: number; value: number }[] } } }>(
      `query($id: ID!) { run(id: $id) { metricSeries(name: "train/loss", fromStep: 500000, toStep: 500999, maxPoints: 1000) { exact points { step value } } } }`,
      { id: big.id },
    );
    const series = zoom.body.data?.run.metricSeries;
    expect(series?.exact).toBe(true);
    expect(series?.points).toHaveLength(1000);
    expect(series?.points[0]).toEqual({ step: 500_000, value: 1 / 500_001 });
    const old = (await experimentNamed('ablation')).runs.find((r) => r.name === 'old-fox-4') as Run;
    expect(old.metrics).toEqual([{ name: 'acc', last: 0.9, min: 0.5, max: 0.9, count: 5 }]);
  });

  it('uploads the artifacts as the run outputs, downloadable as they were', async () => {
    const big = (await experimentNamed('llm-sweep')).runs.find((r) => r.name === 'bold-cat-1') as Run;
    const files = Object.fromEntries(big.outputs.edges.map((e) => [e.node.name, e.node]));
    expect(Object.keys(files).sort()).toEqual(['config.yaml', 'model/weights.bin']);
    const weights = await fetch(files['model/weights.bin']?.downloadUrl as string);
    expect(new Uint8Array(await weights.arrayBuffer())).toEqual(WEIGHTS);
    expect(await (await fetch(files['config.yaml']?.downloadUrl as string)).text()).toBe('lr: 0.0003\n');
  });

  it('changes nothing when run again, and completes an interrupted run without storing a point twice', async () => {
    const again = await importOnce();
    expect(again.experiments).toEqual({ created: 0, reused: 3, deletedSkipped: 1 });
    expect(again.runs).toEqual({ imported: 0, completed: 0, alreadyImported: 5, deletedSkipped: 1 });
    expect(again.metrics.pointsSent).toBe(0);
    expect(again.artifacts.uploaded).toBe(0);

    // An import interrupted before its end leaves no completion tag: the next one completes the run, resending
    // its points under the same Idempotency-Keys (the retention's refusal learnt again), which store nothing twice.
    const before = await experimentNamed('ablation');
    const old = before.runs.find((r) => r.name === 'old-fox-4') as Run;
    const big = (await experimentNamed('llm-sweep')).runs.find((r) => r.name === 'bold-cat-1') as Run;
    for (const id of [old.id, big.id]) {
      const removed = await platform.gql(
        `mutation($id: ID!) { updateRun(id: $id, input: { removeTags: ["lab.import"] }) { id } }`,
        {
          id,
        },
      );
      expect(removed.body.errors).toBeUndefined();
    }
    const resumed = await importOnce();
    expect(resumed.runs).toEqual({ imported: 0, completed: 2, alreadyImported: 3, deletedSkipped: 1 });
    expect(resumed.metrics).toMatchObject({ pointsSent: 5, pointsAlreadyThere: BIG + 3 });
    expect(resumed.artifacts).toMatchObject({ uploaded: 0, alreadyThere: 2 });

    const sweep = await experimentNamed('llm-sweep');
    const ablation = await experimentNamed('ablation');
    expect([sweep.total, ablation.total]).toEqual([3, 2]);
    const after = ablation.runs.find((r) => r.name === 'old-fox-4') as Run;
    expect(after.metrics).toEqual(old.metrics);
    expect(after.tags['lab.import']).toBe('complete');
    const bigAfter = sweep.runs.find((r) => r.name === 'bold-cat-1') as Run;
    expect(bigAfter.metrics.map((m) => m.count).sort((a, b) => a - b)).toEqual([3, BIG]);
    expect(bigAfter.outputs.totalCount).toBe(2);
  });
});
