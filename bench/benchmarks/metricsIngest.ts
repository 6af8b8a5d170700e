/**
 * Metrics ingestion throughput and the metrics subgraph's memory.
 *
 * Baseline: a raw @clickhouse/client insert, in this process, of the same rows
 * into a table with the same DDL (the subgraph's own migrations, run on a chdb
 * engine at a temp path of the bench's, or on the ClickHouse server when
 * CLICKHOUSE_URL is set), in the ingest store's format (JSONCompactEachRow) and
 * batch size (MAX_INSERT_ROWS). Measured through the gateway, each phase on its
 * own run: POST /v1/metrics as one big streamed gzip NDJSON request, the same
 * through the metrics agent (batchSize 50,000), and Mutation.logMetrics with
 * 10,000 points per call, a few calls in parallel. Goal: at least half the raw
 * rate. During the big request the metrics subgraph's RSS is sampled every
 * 100 ms (and VmHWM, reset just before, gives the kernel's own peak).
 *
 * BENCH_INGEST_POINTS sets the points per phase (default 1,000,000; the issue's
 * 10 million: BENCH_INGEST_POINTS=10000000 npm run bench -- --only metrics-ingest).
 */

import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createGzip } from 'node:zlib';
import { bootstrapStatements, createClickHouse, MAX_INSERT_ROWS, MIGRATIONS } from '@lab/metrics';
import { createMetricsAgent } from '@lab/metrics-agent';
import { adminGql, type Benchmark, benchExperiment, figure } from '../harness';

const NAMES = ['train/loss', 'train/accuracy', 'train/lr', 'eval/loss', 'eval/accuracy', 'grad_norm', 'throughput', 'gpu/util'];
/**
 * No tags, epoch-millisecond timestamps and values of 3 decimals keep 10,000
 * points of a logMetrics call under the gateway's 1 MiB GraphQL body limit.
 */
const TAGS = {};
const LOG_METRICS_BATCH = 10_000;
const LOG_METRICS_PARALLEL = 4;
const AGENT_BATCH = 50_000;

const LOG_METRICS = `mutation($runId: ID!, $points: [MetricPointInput!]!) { logMetrics(runId: $runId, points: $points) { accepted } }`;

/** Point i of a phase: NAMES.length series, one step per NAMES.length points, 1 ms apart. */
function point(i: number, baseMs: number) {
  const step = Math.floor(i / NAMES.length);
  return {
    name: NAMES[i % NAMES.length] as string,
    value: Math.round(Math.sin(i) * 10_000) / 1000,
    step,
    timestampMs: baseMs + i,
  };
}

/** DateTime64(3, 'UTC') text, as the ingest store writes it. */
function clickhouseTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

function memoryOf(pid: number): { rssMb: number; hwmMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
}

/** Samples a process's RSS every 100 ms until stopped; the peak is the larger of the sampled maximum and VmHWM. */
function sampleMemory(pid: number) {
  let reset = false;
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5'); // resets VmHWM to the current RSS
    reset = true;
  } catch {
    // not permitted: the sampled maximum alone
  }
  let maxRss = memoryOf(pid).rssMb;
  const timer = setInterval(() => {
    maxRss = Math.max(maxRss, memoryOf(pid).rssMb);
  }, 100);
  return {
    stop() {
      clearInterval(timer);
      const now = memoryOf(pid);
      maxRss = Math.max(maxRss, now.rssMb);
      return { peakMb: reset ? Math.max(maxRss, now.hwmMb) : maxRss, sampledMaxMb: maxRss, hwmReset: reset };
    },
  };
}

export const metricsIngest: Benchmark = {
  name: 'metrics-ingest',
  description:
    'points/s through POST /v1/metrics (one gzip NDJSON request; the metrics agent) and logMetrics vs a raw @clickhouse/client insert of the same rows; metrics subgraph peak RSS',
  async run({ platform }) {
    const points = Number(process.env.BENCH_INGEST_POINTS ?? 1_000_000);
    if (!Number.isSafeInteger(points) || points < 1) throw new Error(`BENCH_INGEST_POINTS=${points} is not a positive integer`);
    if (points < 10_000_000) {
      process.stdout.write(
        `  (${points.toLocaleString('en')} points per phase; the issue's 10M: BENCH_INGEST_POINTS=10000000 npm run bench -- --only metrics-ingest)\n`,
      );
    }
    const call = adminGql(platform);
    const { experimentId, suffix, startRun } = await benchExperiment(platform, 'ingest');
    const baseMs = Date.now() - 60 * 60 * 1000;

    // Baseline: raw inserts of the same rows into the same DDL, in this process.
    const rawRunId = await startRun('raw-baseline');
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'lab-bench-chdb-'));
    const database = `bench_ingest_${suffix}`;
    const client = await createClickHouse({ clickhouse: { ...platform.config.clickhouse, embeddedPath: tmp } });
    let rawPerSecond: number;
    try {
      const options = { database, cluster: platform.config.clickhouse.cluster };
      for (const query of [...bootstrapStatements(options), ...MIGRATIONS.flatMap((m) => m.statements(options))]) {
        await client.command({ query });
      }
      const table = `\`${database}\`.experiment_metrics`;
      const started = performance.now();
      for (let from = 0; from < points; from += MAX_INSERT_ROWS) {
        const values: unknown[][] = [];
        for (let i = from; i < Math.min(points, from + MAX_INSERT_ROWS); i++) {
          const p = point(i, baseMs);
          values.push([clickhouseTime(p.timestampMs), experimentId, rawRunId, p.name, p.step, p.value, TAGS]);
        }
        await client.insert({
          table,
          format: 'JSONCompactEachRow',
          columns: ['timestamp', 'experiment_id', 'run_id', 'metric_name', 'step', 'metric_value', 'tags'],
          values,
        });
      }
      rawPerSecond = points / ((performance.now() - started) / 1000);
      const count = await client.query({ query: `SELECT count() AS n FROM ${table}`, format: 'JSONEachRow' });
      const [row] = await count.json<{ n: string }>();
      if (Number(row?.n) !== points) throw new Error(`raw baseline stored ${row?.n} rows, expected ${points}`);
      if (platform.config.clickhouse.url) await client.command({ query: `DROP DATABASE IF EXISTS \`${database}\`` });
    } finally {
      await client.close();
      rmSync(tmp, { recursive: true, force: true });
    }

    // (a) One big streamed request: the body compressed before the clock starts, so the figure is the server's.
    const streamRunId = await startRun('stream');
    const lines: string[] = [];
    const parts: Buffer[] = [];
    const gzipper = createGzip();
    gzipper.on('data', (chunk: Buffer) => parts.push(chunk));
    for (let i = 0; i < points; i++) {
      const p = point(i, baseMs);
      lines.push(
        JSON.stringify({
          runId: streamRunId,
          name: p.name,
          value: p.value,
          step: p.step,
          timestamp: new Date(p.timestampMs).toISOString(),
          tags: TAGS,
        }),
      );
      if (lines.length === 100_000 || i === points - 1) {
        if (!gzipper.write(`${lines.join('\n')}\n`)) await once(gzipper, 'drain');
        lines.length = 0;
      }
    }
    gzipper.end();
    await once(gzipper, 'end');
    const body = Buffer.concat(parts);
    parts.length = 0;
    const pid = platform.services.metrics.pid;
    if (pid === undefined) throw new Error('the metrics subgraph has no pid');
    const before = memoryOf(pid).rssMb;
    const sampler = sampleMemory(pid);
    let streamStarted = performance.now();
    let memory: ReturnType<ReturnType<typeof sampleMemory>['stop']>;
    try {
      streamStarted = performance.now();
      const res = await fetch(`${platform.gatewayUrl}/v1/metrics`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${platform.adminApiKey}`,
          'content-type': 'application/x-ndjson',
          'content-encoding': 'gzip',
        },
        body,
      });
      const answer = (await res.json()) as { accepted?: number };
      if (!res.ok || answer.accepted !== points) {
        throw new Error(`POST /v1/metrics answered ${res.status}: ${JSON.stringify(answer).slice(0, 300)}`);
      }
    } finally {
      memory = sampler.stop();
    }
    const streamPerSecond = points / ((performance.now() - streamStarted) / 1000);
    process.stdout.write(
      `  (stream body ${(body.length / 2 ** 20).toFixed(1)} MiB gzip; subgraph RSS before ${before.toFixed(0)} MB, sampled max ${memory.sampledMaxMb.toFixed(0)} MB${memory.hwmReset ? ', VmHWM reset before the request' : ', VmHWM not resettable'})\n`,
    );

    // (a') The metrics agent, batches of 50,000 (it encodes and gzips each batch in this process).
    const agentRunId = await startRun('agent');
    const agent = createMetricsAgent({
      baseUrl: platform.gatewayUrl,
      apiKey: platform.adminApiKey,
      runId: agentRunId,
      batchSize: AGENT_BATCH,
      maxBufferedPoints: 2 * AGENT_BATCH,
      flushIntervalMs: 60_000,
      handleProcessExit: false,
    });
    const agentStarted = performance.now();
    for (let i = 0; i < points; i++) {
      const p = point(i, baseMs);
      await agent.logAsync(p.name, p.value, p.step, { timestamp: p.timestampMs, tags: TAGS });
    }
    await agent.close();
    const agentPerSecond = points / ((performance.now() - agentStarted) / 1000);
    const agentStats = agent.stats();
    if (agentStats.sent !== points) throw new Error(`the agent sent ${agentStats.sent} of ${points} points`);

    // (b) logMetrics, 10,000 points per call, a few calls in parallel.
    const gqlRunId = await startRun('logMetrics');
    const calls = Math.ceil(points / LOG_METRICS_BATCH);
    let next = 0;
    let accepted = 0;
    const gqlStarted = performance.now();
    await Promise.all(
      Array.from({ length: LOG_METRICS_PARALLEL }, async () => {
        while (next < calls) {
          const from = next++ * LOG_METRICS_BATCH;
          const batch = [];
          for (let i = from; i < Math.min(points, from + LOG_METRICS_BATCH); i++) {
            const p = point(i, baseMs);
            batch.push({
              name: p.name,
              value: p.value,
              step: p.step,
              timestamp: String(p.timestampMs),
            });
          }
          const data = await call(LOG_METRICS, { runId: gqlRunId, points: batch });
          accepted += Number(data.logMetrics?.accepted ?? 0);
        }
      }),
    );
    const gqlPerSecond = points / ((performance.now() - gqlStarted) / 1000);
    if (accepted !== points) throw new Error(`logMetrics accepted ${accepted} of ${points} points`);

    const raw = { name: `raw client insert, ${MAX_INSERT_ROWS / 1000}k rows/insert`, value: rawPerSecond };
    const n = points >= 1_000_000 ? `${points / 1_000_000}M` : `${points / 1000}k`;
    return [
      figure(`POST /v1/metrics, one gzip request, ${n} pts`, 'pts/s', streamPerSecond, raw, 'higher'),
      figure(`POST /v1/metrics via agent, 50k batches`, 'pts/s', agentPerSecond, raw, 'higher'),
      figure(`logMetrics, 10k/call, ${LOG_METRICS_PARALLEL} parallel`, 'pts/s', gqlPerSecond, raw, 'higher'),
      figure(
        `metrics subgraph peak RSS, ${n}-pt request`,
        'MB',
        memory.peakMb,
        { name: 'its RSS before the request', value: before },
        'lower',
      ),
    ];
  },
};
