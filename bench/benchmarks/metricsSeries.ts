/**
 * A chart-ready series from a long metric: Run.metricSeries(maxPoints: 1000)
 * over one run's metric of BENCH_SERIES_POINTS points (default 10,000,000),
 * beside the raw ClickHouse query a user would write for min/max buckets over
 * the same rows, in the same run.
 *
 * Loading: the rows are generated inside ClickHouse (INSERT ... SELECT FROM
 * numbers()), a sine with one spike, one step per point, 1 ms apart. With the
 * embedded chdb (one engine per process, held by the metrics subgraph) the
 * bench stops the metrics subgraph, opens its data folder in this process,
 * loads the rows and times the raw query and the store's own series query
 * (QueryStore.series, the SQL the subgraph runs) on that engine, then starts the
 * subgraph again on the same port. With CLICKHOUSE_URL the server is used as it is.
 *
 * Figures (medians of BENCH_SERIES_REPS timed repetitions after one warm-up):
 *  - the subgraph answering a signed Run.metricSeries request directly (HTTP,
 *    GraphQL, the registry's read check, the ClickHouse query);
 *  - the same through the gateway (authentication, query planning);
 *  - QueryStore.series alone on the same engine as the raw query.
 * Goal: the subgraph's answer at most 1.5 times the raw query.
 *
 * Step zoom: metricSeries(fromStep, toStep) over 1,000 steps in the middle of
 * the same series (maxPoints 1,000: its points exactly), beside the
 * full-range series, through the subgraph and on the store.
 *
 * compareRuns: 20 runs of BENCH_COMPARE_POINTS points each (default 500,000,
 * the same steps, so the shared grid is each run's own and the answers must
 * equal) in one compareRuns call through the gateway, beside 20 separate
 * Run.metricSeries requests sent at once, as a page would without compareRuns.
 */

import { randomUUID } from 'node:crypto';
import { createClickHouse, QueryStore } from '@lab/metrics';
import { type Caller, CONTEXT_HEADER, signContext } from '@lab/shared';
import { adminGql, type Benchmark, benchExperiment, figure } from '../harness';

const METRIC = 'train/loss';
const MAX_POINTS = 1000;
const SERIES = `query($reps: [_Any!]!, $name: String!, $max: Int) {
  _entities(representations: $reps) { ... on Run { metricSeries(name: $name, maxPoints: $max) { exact points { step value min max count } } } } }`;
const SERIES_VIA_GATEWAY = `query($id: ID!, $name: String!, $max: Int) {
  run(id: $id) { metricSeries(name: $name, maxPoints: $max) { exact points { step value min max count } } } }`;
const ZOOM = `query($reps: [_Any!]!, $name: String!, $max: Int, $from: Float, $to: Float) {
  _entities(representations: $reps) { ... on Run { metricSeries(name: $name, maxPoints: $max, fromStep: $from, toStep: $to) {
    exact points { step value min max count } } } } }`;
const COMPARE = `query($ids: [ID!]!, $name: String!, $max: Int) {
  compareRuns(runIds: $ids, names: [$name], maxPoints: $max) { runId series { exact points { step value min max count } } } }`;
const COMPARED_RUNS = 20;

interface SeriesAnswer {
  exact: boolean;
  points: { step: number; value: number; min: number; max: number; count: number }[];
}

async function median(reps: number, f: () => Promise<unknown>): Promise<number> {
  await f(); // warm-up
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const started = performance.now();
    await f();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] as number;
}

/** A zoom answers the 1,000 steps from `from` exactly. */
function checkZoom(series: SeriesAnswer | undefined, from: number, where: string): void {
  const steps = series?.points.map((p) => p.step) ?? [];
  if (!series?.exact || steps.length !== MAX_POINTS || steps[0] !== from || steps.at(-1) !== from + MAX_POINTS - 1) {
    throw new Error(`${where}: unexpected zoom (exact ${series?.exact}, ${steps.length} points from ${steps[0]})`);
  }
}

function check(series: SeriesAnswer | undefined, points: number, spike: number, where: string): void {
  if (!series) throw new Error(`${where}: no series`);
  const total = series.points.reduce((n, p) => n + p.count, 0);
  const spiky = series.points.filter((p) => p.max === spike).length;
  if (series.exact || series.points.length > MAX_POINTS || total !== points || spiky !== 1) {
    throw new Error(
      `${where}: unexpected series (exact ${series.exact}, ${series.points.length} points, count ${total}, ${spiky} spikes)`,
    );
  }
}

export const metricsSeries: Benchmark = {
  name: 'metrics-series',
  description: `a ${MAX_POINTS}-point Run.metricSeries over one long metric vs the raw ClickHouse min/max bucket query over the same rows; a step zoom vs the full range; compareRuns of ${COMPARED_RUNS} runs vs ${COMPARED_RUNS} separate series`,
  async run({ platform }) {
    const points = Number(process.env.BENCH_SERIES_POINTS ?? 10_000_000);
    const reps = Number(process.env.BENCH_SERIES_REPS ?? 7);
    if (!Number.isSafeInteger(points) || points <= MAX_POINTS) {
      throw new Error(`BENCH_SERIES_POINTS=${points} must be an integer above ${MAX_POINTS}`);
    }
    const call = adminGql(platform);
    const me = (await call('{ me { id } }')).me?.id as string;
    const { experimentId, startRun } = await benchExperiment(platform, 'series');
    const runId = await startRun('long');
    const comparePoints = Number(process.env.BENCH_COMPARE_POINTS ?? 500_000);
    if (!Number.isSafeInteger(comparePoints) || comparePoints <= MAX_POINTS) {
      throw new Error(`BENCH_COMPARE_POINTS=${comparePoints} must be an integer above ${MAX_POINTS}`);
    }
    const compared: string[] = [];
    for (let i = 0; i < COMPARED_RUNS; i++) compared.push(await startRun(`compared-${i}`));
    const zoomFrom = Math.floor(points / 2);

    const { clickhouse } = platform.config;
    const table = `\`${clickhouse.database}\`.experiment_metrics`;
    const spikeStep = Math.floor(points * 0.543_21);
    const spike = 1e6;
    const baseMs = Date.now() - 6 * 60 * 60 * 1000;
    const width = Math.ceil(points / MAX_POINTS);
    const raw = `SELECT intDiv(step, {width:UInt64}) AS bucket, min(metric_value) AS lo, max(metric_value) AS hi
FROM ${table}
WHERE run_id = {runId:UUID} AND metric_name = {name:String}
GROUP BY bucket ORDER BY bucket`;

    const embedded = !clickhouse.url;
    const metrics = platform.services.metrics;
    if (embedded) await metrics.stop();
    let rawMs: number;
    let storeMs: number;
    let storeZoomMs: number;
    let loadSeconds: number;
    try {
      const client = await createClickHouse({ clickhouse });
      try {
        const loadStarted = performance.now();
        await client.command({
          query: `INSERT INTO ${table} (timestamp, experiment_id, run_id, metric_name, step, metric_value, tags)
SELECT fromUnixTimestamp64Milli(toInt64({baseMs:Int64} + number), 'UTC'), {experimentId:UUID}, {runId:UUID}, {name:String},
  number, if(number = {spikeStep:UInt64}, {spike:Float64}, round(sin(number / 1000), 4)), map()
FROM numbers({points:UInt64})`,
          query_params: { baseMs, experimentId, runId, name: METRIC, spikeStep, spike, points },
          clickhouse_settings: { insert_deduplicate: 0 },
        });
        await client.command({
          query: `INSERT INTO ${table} (timestamp, experiment_id, run_id, metric_name, step, metric_value, tags)
SELECT fromUnixTimestamp64Milli(toInt64({baseMs:Int64} + number % {n:UInt64}), 'UTC'), {experimentId:UUID},
  {runIds:Array(UUID)}[intDiv(number, {n:UInt64}) + 1], {name:String}, number % {n:UInt64},
  round(cos(number / 997), 4), map()
FROM numbers({total:UInt64})`,
          query_params: {
            baseMs,
            experimentId,
            runIds: compared,
            name: METRIC,
            n: comparePoints,
            total: comparePoints * COMPARED_RUNS,
          },
          clickhouse_settings: { insert_deduplicate: 0 },
        });
        loadSeconds = (performance.now() - loadStarted) / 1000;
        const rawRows = async () => {
          const result = await client.query({
            query: raw,
            query_params: { width, runId, name: METRIC },
            format: 'JSONEachRow',
          });
          return result.json<{ bucket: string; lo: number; hi: number }>();
        };
        const buckets = await rawRows();
        if (buckets.length !== MAX_POINTS || buckets.filter((b) => b.hi === spike).length !== 1) {
          throw new Error(`the raw query answered ${buckets.length} buckets`);
        }
        rawMs = await median(reps, rawRows);
        const store = new QueryStore(client, clickhouse.database);
        const series = async () => (await store.series([runId], { name: METRIC, maxPoints: MAX_POINTS }))[0];
        check(await series(), points, spike, 'QueryStore.series');
        storeMs = await median(reps, series);
        const zoom = async () =>
          (
            await store.series([runId], {
              name: METRIC,
              maxPoints: MAX_POINTS,
              fromStep: zoomFrom,
              toStep: zoomFrom + MAX_POINTS - 1,
            })
          )[0];
        checkZoom(await zoom(), zoomFrom, 'QueryStore.series zoom');
        storeZoomMs = await median(reps, zoom);
      } finally {
        await client.close();
      }
    } finally {
      if (embedded) await metrics.start();
    }

    const secret = platform.serviceEnv.LAB_INTERNAL_SECRET as string;
    const caller: Caller = { id: me, kind: 'user', scopes: ['*'] };
    const direct = async () => {
      const res = await fetch(`${metrics.url}/graphql`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [CONTEXT_HEADER]: signContext(secret, { requestId: randomUUID(), caller, query: SERIES }),
        },
        body: JSON.stringify({
          query: SERIES,
          variables: { reps: [{ __typename: 'Run', id: runId }], name: METRIC, max: MAX_POINTS },
        }),
      });
      const body = (await res.json()) as { data?: { _entities: { metricSeries: SeriesAnswer }[] }; errors?: unknown };
      if (body.errors) throw new Error(`metrics subgraph: ${JSON.stringify(body.errors).slice(0, 300)}`);
      return body.data?._entities[0]?.metricSeries;
    };
    check(await direct(), points, spike, 'the metrics subgraph');
    const directMs = await median(reps, direct);
    const zoomDirect = async () => {
      const variables = {
        reps: [{ __typename: 'Run', id: runId }],
        name: METRIC,
        max: MAX_POINTS,
        from: zoomFrom,
        to: zoomFrom + 999,
      };
      const res = await fetch(`${metrics.url}/graphql`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [CONTEXT_HEADER]: signContext(secret, { requestId: randomUUID(), caller, query: ZOOM }),
        },
        body: JSON.stringify({ query: ZOOM, variables }),
      });
      const body = (await res.json()) as { data?: { _entities: { metricSeries: SeriesAnswer }[] }; errors?: unknown };
      if (body.errors) throw new Error(`metrics subgraph: ${JSON.stringify(body.errors).slice(0, 300)}`);
      return body.data?._entities[0]?.metricSeries;
    };
    checkZoom(await zoomDirect(), zoomFrom, 'the metrics subgraph');
    const zoomDirectMs = await median(reps, zoomDirect);
    const viaGateway = async () =>
      (await call(SERIES_VIA_GATEWAY, { id: runId, name: METRIC, max: MAX_POINTS })).run?.metricSeries as SeriesAnswer;
    check(await viaGateway(), points, spike, 'the gateway');
    const gatewayMs = await median(reps, viaGateway);

    const compare = async () => {
      const data = await call(COMPARE, { ids: compared, name: METRIC, max: MAX_POINTS });
      return (data.compareRuns as unknown as { series: SeriesAnswer }[]).map((r) => r.series);
    };
    const separately = () =>
      Promise.all(
        compared.map(
          async (id) => (await call(SERIES_VIA_GATEWAY, { id, name: METRIC, max: MAX_POINTS })).run?.metricSeries as SeriesAnswer,
        ),
      );
    if (JSON.stringify(await compare()) !== JSON.stringify(await separately())) {
      throw new Error('compareRuns and the separate metricSeries answers differ');
    }
    const compareMs = await median(reps, compare);
    const separateMs = await median(reps, separately);

    const n = points >= 1_000_000 ? `${points / 1_000_000}M` : `${points / 1000}k`;
    process.stdout.write(
      `  (${(points + comparePoints * COMPARED_RUNS).toLocaleString('en')} points loaded in ${loadSeconds.toFixed(1)} s; medians of ${reps}; raw ${rawMs.toFixed(1)} ms, QueryStore.series ${storeMs.toFixed(1)} ms (zoom ${storeZoomMs.toFixed(1)}), subgraph ${directMs.toFixed(1)} ms (zoom ${zoomDirectMs.toFixed(1)}), gateway ${gatewayMs.toFixed(1)} ms; compareRuns of ${COMPARED_RUNS} ${compareMs.toFixed(1)} ms, ${COMPARED_RUNS} metricSeries at once ${separateMs.toFixed(1)} ms)\n`,
    );
    const baseline = { name: `raw min/max query, ${MAX_POINTS} buckets`, value: rawMs };
    const m = comparePoints >= 1_000_000 ? `${comparePoints / 1_000_000}M` : `${comparePoints / 1000}k`;
    return [
      figure(`metricSeries(${MAX_POINTS}) over ${n} pts, subgraph`, 'ms', directMs, baseline, 'lower'),
      figure(`metricSeries(${MAX_POINTS}) over ${n} pts, gateway`, 'ms', gatewayMs, baseline, 'lower'),
      figure(`QueryStore.series, same engine as raw`, 'ms', storeMs, baseline, 'lower'),
      figure(
        `zoom to ${MAX_POINTS} steps of ${n} pts, subgraph`,
        'ms',
        zoomDirectMs,
        { name: 'full-range series, subgraph', value: directMs },
        'lower',
      ),
      figure(`zoom, QueryStore.series`, 'ms', storeZoomMs, { name: 'full-range QueryStore.series', value: storeMs }, 'lower'),
      figure(
        `compareRuns of ${COMPARED_RUNS} runs × ${m} pts, gateway`,
        'ms',
        compareMs,
        { name: `${COMPARED_RUNS} metricSeries requests at once, gateway`, value: separateMs },
        'lower',
      ),
    ];
  },
};
