/** Reading an mlruns folder, its metric files, and what a run becomes on the platform: no platform needed. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ndjsonBatch, olderThan, parseMetricText } from './metricFiles';
import { MlflowStoreError, readExperiments, readRun, runIdsOf } from './mlflowFiles';
import { writeExperiment, writeRun } from './mlrunsWriter';
import { COMPLETE_TAG, type LeftOut, RUN_ID_TAG, runFields } from './runFields';

const root = mkdtempSync(path.join(os.tmpdir(), 'mlruns-unit-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const RUN = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';

describe('an mlruns folder', () => {
  writeExperiment(root, { id: '0', name: 'Default' });
  writeExperiment(root, { id: '12', name: 'sweep', tags: { 'mlflow.note.content': 'lr sweep' } });
  writeExperiment(root, { id: '3', name: 'gone', deleted: true });
  writeRun(root, '12', {
    id: RUN,
    name: 'bold-cat-7',
    status: 'FAILED',
    startTimeMs: 1_700_000_000_000,
    endTimeMs: 1_700_000_360_000,
    userId: 'ada',
    params: { lr: '0.001', 'optimizer/name': 'adamw', 'model.layers': '12' },
    tags: {
      'mlflow.source.git.commit': 'ABCDEF1234567',
      'mlflow.source.name': 'train.py',
      'mlflow.note.content': '## notes',
      'bad key': 'x',
      long: 'y'.repeat(1_001),
    },
    metrics: { 'eval/acc': [{ timestampMs: 1_700_000_000_500, value: 0.5, step: 1 }] },
    artifacts: { 'model/config.json': '{}' },
  });

  it('lists experiments in id order, deleted ones marked, with their tags', async () => {
    const experiments = await readExperiments(root);
    expect(experiments.map((e) => [e.id, e.name, e.deleted])).toEqual([
      ['0', 'Default', false],
      ['3', 'gone', true],
      ['12', 'sweep', false],
    ]);
    expect(experiments[2]?.tags).toEqual({ 'mlflow.note.content': 'lr sweep' });
    await expect(readExperiments(path.join(root, 'nope'))).rejects.toBeInstanceOf(MlflowStoreError);
  });

  it('reads a run: meta, params and tags (keys with / as folders), metric files, artifacts', async () => {
    const experiment = (await readExperiments(root))[2];
    if (!experiment) throw new Error('no experiment');
    expect(await runIdsOf(experiment)).toEqual([RUN]);
    const run = await readRun(experiment, RUN);
    expect(run).toMatchObject({ id: RUN, name: 'bold-cat-7', status: 'FAILED', userId: 'ada', deleted: false });
    expect(run.params).toEqual({ lr: '0.001', 'optimizer/name': 'adamw', 'model.layers': '12' });
    expect([...run.metrics.keys()]).toEqual(['eval/acc']);
    expect(run.artifactsDir).toBe(path.join(experiment.dir, RUN, 'artifacts'));

    const leftOut: LeftOut[] = [];
    const fields = runFields(run, leftOut);
    expect(fields).toMatchObject({
      name: 'bold-cat-7',
      status: 'FAILED',
      startTime: '2023-11-14T22:13:20.000Z',
      endTime: '2023-11-14T22:19:20.000Z',
      source: { commit: 'ABCDEF1234567', entryPoint: 'train.py' },
      notes: '## notes',
    });
    expect(fields.tags).toEqual({ [RUN_ID_TAG]: RUN, 'mlflow.user': 'ada' });
    expect(fields.tags[COMPLETE_TAG]).toBeUndefined();
    expect(fields.paramBatches).toEqual([run.params]);
    expect(leftOut.map((l) => l.what).sort()).toEqual(['tag bad key', 'tag long']);
  });
});

describe('a metric file', () => {
  it('keeps valid lines in order (a line without a step is step 0) and counts the rest (NaN, infinities, bad steps, junk)', () => {
    const text = '1000 0.5 0\n1001 nan 1\n1002 inf 2\n1003 1e-05 3\n1004 2 -1\n1005 3\nabc\n1006 4 5 6\n1007 -0.25 7';
    const columns = parseMetricText(text);
    expect(columns.length).toBe(4);
    expect([...columns.values.subarray(0, 4)]).toEqual([0.5, 1e-5, 3, -0.25]);
    expect([...columns.steps.subarray(0, 4)]).toEqual([0, 3, 0, 7]);
    expect(columns.invalid).toBe(5);
    expect(columns.invalidExample).toBe('1001 nan 1');
    expect(parseMetricText('10 1.5\n').steps[0]).toBe(0);
  });

  it('becomes NDJSON bodies with a key of their content, leaving out points at or before a cutoff', () => {
    const columns = parseMetricText('1000 0.5 0\n2000 0.25 1\n3000 0.125 2\n');
    const all = ndjsonBatch('run-1', 'loss', columns, 0, 3, Number.NEGATIVE_INFINITY);
    expect(all.points).toBe(3);
    expect(all.body.split('\n')[0]).toBe('{"runId":"run-1","name":"loss","value":0.5,"step":0,"timestamp":1000}');
    expect(ndjsonBatch('run-1', 'loss', columns, 0, 3, Number.NEGATIVE_INFINITY).idempotencyKey).toBe(all.idempotencyKey);
    expect(ndjsonBatch('run-2', 'loss', columns, 0, 3, Number.NEGATIVE_INFINITY).idempotencyKey).not.toBe(all.idempotencyKey);
    const recent = ndjsonBatch('run-1', 'loss', columns, 0, 3, 2000);
    expect(recent.points).toBe(1);
    expect(olderThan(columns, 0, 3, 2000)).toEqual({ count: 2, oldestMs: 1000, newestMs: 2000 });
    expect(all.idempotencyKey).toMatch(/^mlflow-[0-9a-f]{64}$/);
  });
});
