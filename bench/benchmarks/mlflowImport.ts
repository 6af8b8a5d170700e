/**
 * `npm run import -- mlflow` throughput against a raw NDJSON POST of the same points.
 *
 * An mlruns folder with one run and one metric of BENCH_IMPORT_POINTS points
 * (default 500,000; "timestamp value step" lines) is imported into a fresh
 * project, in this process through the importer's own function: reading
 * and parsing the metric file, the run's lookup and start, the points in
 * bodies of 25,000 with their Idempotency-Keys, the run's end. The baseline
 * is one `POST /v1/metrics` of the same points as NDJSON to a run of its own,
 * the body built beforehand and not timed. Two rounds in the order raw,
 * import, import, raw, so that a change of machine load falls on both sides;
 * the figure is points per second over both rounds. Goal: at least half the raw rate.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { importMlflow } from '../../ops/src/import/importMlflow';
import { writeExperiment, writeLongMetric, writeRun } from '../../ops/src/import/mlrunsWriter';
import { type Benchmark, figure, gql } from '../harness';

const RUN_ID = '5e5e5e5e5e5e4e5e8e5e5e5e5e5e5e01';
const NAME = 'train/loss';
const valueAt = (i: number) => Math.round(Math.sin(i) * 10_000) / 1000;

export const mlflowImport: Benchmark = {
  name: 'mlflow-import',
  description: 'npm run import -- mlflow: points/s of a 1-run mlruns folder vs one raw NDJSON POST of the same points',
  async run({ platform }) {
    const count = Number(process.env.BENCH_IMPORT_POINTS ?? 500_000);
    const key = platform.adminApiKey;
    const url = platform.gatewayUrl;
    const baseMs = Date.now() - 3_600_000;
    const root = mkdtempSync(path.join(os.tmpdir(), 'bench-mlruns-'));
    try {
      writeExperiment(root, { id: '1', name: 'bench' });
      const runDir = writeRun(root, '1', { id: RUN_ID, name: 'bench-run', startTimeMs: baseMs, endTimeMs: baseMs + count });
      await writeLongMetric(runDir, NAME, count, (i) => baseMs + i, valueAt);

      const stamp = Date.now().toString(36);
      const { createProject } = await gql<{ createProject: { id: string } }>(
        platform.graphqlUrl,
        key,
        `mutation($n: String!) { createProject(input: { name: $n }) { id } }`,
        { n: `bench-import-${stamp}` },
      );
      const { createExperiment } = await gql<{ createExperiment: { id: string } }>(
        platform.graphqlUrl,
        key,
        `mutation($p: ID!) { createExperiment(input: { projectId: $p, name: "raw" }) { id } }`,
        { p: createProject.id },
      );

      const raw = async (): Promise<number> => {
        const { startRun } = await gql<{ startRun: { id: string } }>(
          platform.graphqlUrl,
          key,
          `mutation($e: ID!) { startRun(input: { experimentId: $e, name: "raw" }) { id } }`,
          { e: createExperiment.id },
        );
        const prefix = `{"runId":"${startRun.id}","name":"${NAME}","value":`;
        const lines: string[] = [];
        for (let i = 0; i < count; i++) lines.push(`${prefix}${valueAt(i)},"step":${i},"timestamp":${baseMs + i}}\n`);
        const body = lines.join('');
        const started = performance.now();
        const res = await fetch(`${url}/v1/metrics`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-ndjson' },
          body,
        });
        const answer = (await res.json()) as { accepted?: number };
        if (res.status !== 200 || answer.accepted !== count) throw new Error(`raw POST: ${res.status} ${JSON.stringify(answer)}`);
        return performance.now() - started;
      };

      let round = 0;
      const imported = async (): Promise<number> => {
        const { createProject: project } = await gql<{ createProject: { id: string } }>(
          platform.graphqlUrl,
          key,
          `mutation($n: String!) { createProject(input: { name: $n }) { id } }`,
          { n: `bench-import-${stamp}-${round++}` },
        );
        const started = performance.now();
        const summary = await importMlflow(root, { url, apiKey: key, projectId: project.id });
        const ms = performance.now() - started;
        if (summary.metrics.pointsSent !== count) throw new Error(`import sent ${summary.metrics.pointsSent} of ${count} points`);
        return ms;
      };

      let rawMs = 0;
      let importMs = 0;
      rawMs += await raw();
      importMs += await imported();
      importMs += await imported();
      rawMs += await raw();
      const rate = (ms: number) => (2 * count) / (ms / 1000);
      return [
        figure(
          `points/s, import of ${count.toLocaleString('en-US')} points`,
          'pts/s',
          rate(importMs),
          { name: 'one raw NDJSON POST of the same points', value: rate(rawMs) },
          'higher',
        ),
      ];
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  },
};
