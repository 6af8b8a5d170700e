/**
 * MLflow's log-batch through the gateway against the platform's own ingest.
 *
 * The same points (BENCH_MLFLOW_POINTS, default 200,000: 8 metrics, 1 ms
 * apart) go into the same run twice per round, 1,000 per call and 4 calls in
 * flight: as MLflow's `POST /api/2.0/mlflow/runs/log-batch` (JSON
 * `{ run_id, metrics: [{ key, value, timestamp, step }] }`, what MLflow's
 * clients send) and, the baseline, as `POST /v1/metrics` (NDJSON, 1,000 lines
 * a request). Two rounds, the sides alternating, so load changes fall on
 * both; the figure is points per second over both rounds. Goal: at least
 * half the baseline.
 */
import { type Benchmark, figure, gql } from '../harness';

const NAMES = ['train/loss', 'train/accuracy', 'train/lr', 'eval/loss', 'eval/accuracy', 'grad_norm', 'throughput', 'gpu/util'];
const BATCH = 1_000;
const IN_FLIGHT = 4;
const ROUNDS = 2;

interface Point {
  key: string;
  value: number;
  timestamp: number;
  step: number;
}

function points(count: number, baseMs: number): Point[] {
  return Array.from({ length: count }, (_, i) => ({
    key: NAMES[i % NAMES.length] as string,
    value: Math.round(Math.sin(i) * 10_000) / 1000,
    timestamp: baseMs + i,
    step: Math.floor(i / NAMES.length),
  }));
}

/** Sends every batch, IN_FLIGHT at a time; returns the seconds taken. */
async function send(batches: string[], post: (body: string) => Promise<Response>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < batches.length) {
        const body = batches[next++] as string;
        const res = await post(body);
        if (!res.ok) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
        await res.arrayBuffer();
      }
    }),
  );
  return (performance.now() - started) / 1000;
}

export const mlflowLogBatch: Benchmark = {
  name: 'mlflow-log-batch',
  description: "MLflow's log-batch (1,000 metrics a call) through the gateway vs POST /v1/metrics on the same points",
  async run({ platform }) {
    const key = platform.adminApiKey;
    const total = Number(process.env.BENCH_MLFLOW_POINTS ?? 200_000);
    const project = await gql(platform.graphqlUrl, key, 'mutation($n: String!) { createProject(input: { name: $n }) { id } }', {
      n: `bench-mlflow-${Date.now()}`,
    });
    const experiment = await gql(
      platform.graphqlUrl,
      key,
      'mutation($p: ID!) { createExperiment(input: { projectId: $p, name: "log-batch" }) { id } }',
      {
        p: project.createProject?.id,
      },
    );
    const run = await gql(
      platform.graphqlUrl,
      key,
      'mutation($e: ID!) { startRun(input: { experimentId: $e, name: "bench" }) { id } }',
      {
        e: experiment.createExperiment?.id,
      },
    );
    const runId = run.startRun?.id as string;
    const all = points(total, Date.now() - 3_600_000);
    const mlflowBodies: string[] = [];
    const ndjsonBodies: string[] = [];
    for (let i = 0; i < all.length; i += BATCH) {
      const batch = all.slice(i, i + BATCH);
      mlflowBodies.push(JSON.stringify({ run_id: runId, metrics: batch }));
      ndjsonBodies.push(
        batch.map((p) => JSON.stringify({ runId, name: p.key, value: p.value, step: p.step, timestamp: p.timestamp })).join('\n'),
      );
    }
    const auth = { authorization: `Bearer ${key}` };
    const viaMlflow = (body: string) =>
      fetch(`${platform.gatewayUrl}/api/2.0/mlflow/runs/log-batch`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body,
      });
    const viaIngest = (body: string) =>
      fetch(`${platform.gatewayUrl}/v1/metrics`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/x-ndjson' },
        body,
      });
    // Warm-up: a few calls each.
    await send(mlflowBodies.slice(0, 4), viaMlflow);
    await send(ndjsonBodies.slice(0, 4), viaIngest);
    let mlflowSeconds = 0;
    let ingestSeconds = 0;
    for (let round = 0; round < ROUNDS; round++) {
      ingestSeconds += await send(ndjsonBodies, viaIngest);
      mlflowSeconds += await send(mlflowBodies, viaMlflow);
    }
    const mlflowRate = (ROUNDS * total) / mlflowSeconds;
    const ingestRate = (ROUNDS * total) / ingestSeconds;
    return [
      figure(
        'MLflow log-batch through the gateway (1,000 metrics a call, 4 in flight)',
        'points/s',
        mlflowRate,
        { name: 'POST /v1/metrics, 1,000 NDJSON lines a request, 4 in flight', value: ingestRate },
        'higher',
      ),
    ];
  },
};
