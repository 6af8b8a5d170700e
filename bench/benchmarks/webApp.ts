/// <reference lib="dom" />
/**
 * The web app in Debian's Chromium (playwright-core), each figure beside a
 * baseline taken in the same run:
 *  - first chart of a long run (BENCH_WEB_SERIES_POINTS, default 10,000,000
 *    points, loaded inside ClickHouse as in metrics-series) drawn after
 *    navigation to its run page: performance.mark('lab:chart-drawn:<name>')
 *    (ms since navigation start), beside the raw GraphQL fetch of the same
 *    series (the chart's own metricSeries request) from Node. Goal < 1.5 s.
 *  - a point logged through POST /v1/metrics appearing on an open chart
 *    (the figure's data-last-step reaching its step), beside the same point
 *    reaching a bare graphql-ws subscriber in Node. Goal < 1 s.
 *  - the runs table of BENCH_WEB_RUNS runs (default 10,000): a filter, then
 *    a sort by a metric, answered (the count or the first row shown) after
 *    the key press or click, beside the same first page fetched raw. Goal < 1 s.
 *  - the app's JavaScript, gzipped, beside the 500 KB budget.
 * Medians of BENCH_WEB_REPS (default 5) after one warm-up.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { createClickHouse } from '@lab/metrics';
import { createClient } from 'graphql-ws';
import { chromium, type Page } from 'playwright-core';
import WebSocket from 'ws';
import { ensureWebBuild } from '../../web/scripts/ensureBuild.mjs';
import { type Benchmark, figure } from '../harness';

const METRIC = 'train/loss';
const BUDGET_BYTES = 500 * 1024;
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SERIES = `query($id: ID!, $name: String!, $max: Int!) { run(id: $id) { id metricSeries(name: $name, maxPoints: $max) { name exact bucketWidth points { step value min max } } } }`;
const RUNS_PAGE = `query($e: ID!, $s: String, $o: RunOrder) { experiment(id: $e) { id runs(search: $s, first: 100, orderBy: $o) {
  totalCount pageInfo { hasNextPage endCursor } edges { node { id name status startTime duration params config tags
  createdBy { id name email } metrics { name last min max } } } } } }`;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/** Where a page's time went: each resource (script, stylesheet, GraphQL request) as start–end ms since navigation. */
async function pageTimeline(page: Page): Promise<string> {
  return page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
    const parts = [`html ${Math.round(nav?.responseEnd ?? 0)}`];
    for (const r of performance.getEntriesByType('resource') as PerformanceResourceTiming[]) {
      const name = r.name.includes('/graphql') ? 'graphql' : (r.name.split('/').pop()?.split('-')[0] ?? r.name);
      parts.push(`${name} ${Math.round(r.startTime)}–${Math.round(r.responseEnd)}`);
    }
    const mark = performance.getEntriesByType('mark').find((m) => m.name.startsWith('lab:chart-drawn:'));
    parts.push(`chart ${Math.round(mark?.startTime ?? 0)}`);
    return parts.join(', ');
  });
}

async function timed(f: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await f();
  return performance.now() - started;
}

export const webApp: Benchmark = {
  name: 'web-app',
  description:
    'the web app in Chromium: first chart of a long run, a live point on an open chart, the runs table filtered and sorted, the JavaScript size',
  async run({ platform }) {
    const reps = Number(process.env.BENCH_WEB_REPS ?? 5);
    const points = Number(process.env.BENCH_WEB_SERIES_POINTS ?? 10_000_000);
    const runCount = Number(process.env.BENCH_WEB_RUNS ?? 10_000);
    const key = platform.adminApiKey;
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${key}` };
    const call = async (query: string, variables: Record<string, unknown>) => {
      const res = await fetch(platform.graphqlUrl, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
      const body = (await res.json()) as { data?: Record<string, Record<string, unknown>>; errors?: unknown };
      if (body.errors || !body.data) throw new Error(`unexpected answer: ${JSON.stringify(body).slice(0, 300)}`);
      return body.data;
    };
    const ingest = async (lines: string[]) => {
      const res = await fetch(`${platform.gatewayUrl}/v1/metrics`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-ndjson' },
        body: `${lines.join('\n')}\n`,
      });
      if (res.status !== 200) throw new Error(`ingest answered ${res.status}: ${await res.text()}`);
    };

    // The app as built now, and its size.
    ensureWebBuild({ log: () => {} });
    const assets = path.resolve(import.meta.dirname, '..', '..', 'web', 'dist', 'assets');
    const jsGzip = readdirSync(assets)
      .filter((f) => f.endsWith('.js'))
      .reduce((sum, f) => sum + gzipSync(readFileSync(path.join(assets, f)), { level: 9 }).length, 0);

    const suffix = Date.now().toString(36);
    const projectId = (
      await call('mutation($i: CreateProjectInput!) { createProject(input: $i) { id } }', { i: { name: `bench-web-${suffix}` } })
    ).createProject?.id as string;
    const experiment = async (name: string) =>
      (await call('mutation($i: CreateExperimentInput!) { createExperiment(input: $i) { id } }', { i: { projectId, name } }))
        .createExperiment?.id as string;
    const chartsExperiment = await experiment('charts');
    const startRun = async (experimentId: string, name: string) =>
      (await call('mutation($i: StartRunInput!) { startRun(input: $i) { id } }', { i: { experimentId, name } })).startRun
        ?.id as string;
    const longRun = await startRun(chartsExperiment, 'long');
    const liveRun = await startRun(chartsExperiment, 'live');

    // The long series, generated inside ClickHouse (the metrics subgraph is stopped meanwhile with the embedded chdb).
    const { clickhouse } = platform.config;
    const metrics = platform.services.metrics;
    const embedded = !clickhouse.url;
    const loadStarted = performance.now();
    if (embedded) await metrics.stop();
    try {
      const client = await createClickHouse({ clickhouse });
      try {
        await client.command({
          query: `INSERT INTO \`${clickhouse.database}\`.experiment_metrics (timestamp, experiment_id, run_id, metric_name, step, metric_value, tags)
SELECT fromUnixTimestamp64Milli(toInt64({baseMs:Int64} + number), 'UTC'), {experimentId:UUID}, {runId:UUID}, {name:String},
  number, if(number = {spikeStep:UInt64}, 100, round(sin(number / 1000), 4)), map()
FROM numbers({points:UInt64})`,
          query_params: {
            baseMs: Date.now() - 6 * 60 * 60 * 1000,
            experimentId: chartsExperiment,
            runId: longRun,
            name: METRIC,
            spikeStep: Math.floor(points * 0.54321),
            points,
          },
          clickhouse_settings: { insert_deduplicate: 0 },
        });
      } finally {
        await client.close();
      }
    } finally {
      if (embedded) await metrics.start();
    }
    const loadSeconds = (performance.now() - loadStarted) / 1000;
    // A finished run, as a long one being looked at usually is (a RUNNING one's page also opens its metricStream).
    if (process.env.BENCH_WEB_LONG_RUN_RUNNING !== '1') {
      await call('mutation($id: ID!) { finishRun(id: $id) { id } }', { id: longRun });
    }

    // The runs table's experiment: runCount runs (100 per request through aliases), a loss each.
    const tableExperiment = await experiment('table');
    // The gateway allows 30 aliases an operation: 25 runs a request, 4 requests at a time.
    const runIds: string[] = new Array(runCount);
    const tableStarted = performance.now();
    const makeRuns = async (from: number) => {
      const n = Math.min(25, runCount - from);
      const fields = Array.from({ length: n }, (_, j) => {
        const i = from + j;
        return `r${j}: startRun(input: { experimentId: $e, name: "run-${String(i).padStart(5, '0')}", params: { batch: "${i % 2 ? 64 : 32}", lr: "${(i % 97) / 1000}" } }) { id }`;
      });
      const data = await call(`mutation($e: ID!) { ${fields.join(' ')} }`, { e: tableExperiment });
      for (let j = 0; j < n; j++) runIds[from + j] = (data[`r${j}`] as { id: string }).id;
    };
    for (let i = 0; i < runCount; i += 100) {
      await Promise.all([0, 25, 50, 75].filter((o) => i + o < runCount).map((o) => makeRuns(i + o)));
    }
    const lossOf = (i: number) => ((i * 7919) % runCount) / runCount;
    await ingest(
      runIds.flatMap((runId, i) =>
        [0, 1].map((step) => JSON.stringify({ runId, name: 'loss', value: lossOf(i) + 1 - step, step })),
      ),
    );
    const tableSeconds = (performance.now() - tableStarted) / 1000;

    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run'],
    });
    const newPage = async (): Promise<Page> => {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      await page.addInitScript((token) => sessionStorage.setItem('lab.credential', token), key);
      return page;
    };
    try {
      // 1. First chart after navigation, beside the raw fetch of the series the chart asks for.
      let maxPoints = 0;
      let timeline = '';
      let operations: string[] = [];
      const firstChart: number[] = [];
      for (let i = 0; i <= reps; i++) {
        const page = await newPage();
        const sent: string[] = [];
        page.on('request', (request) => {
          const body = request.postData();
          const m = body && /"maxPoints":(\d+)/.exec(body);
          if (m) maxPoints = Number(m[1]);
          const op = body && /"operationName":"(\w+)"/.exec(body);
          if (op) sent.push(`${op[1]}${m ? `(${m[1]})` : ''}`);
        });
        await page.goto(`${platform.gatewayUrl}/runs/${longRun}`);
        const handle = await page.waitForFunction(
          (name) => performance.getEntriesByName(`lab:chart-drawn:${name}`)[0]?.startTime,
          METRIC,
          { timeout: 60_000 },
        );
        if (i > 0) firstChart.push((await handle.jsonValue()) as number);
        if (i === reps) {
          timeline = await pageTimeline(page);
          operations = sent;
        }
        await page.close();
      }
      const rawSeries: number[] = [];
      for (let i = 0; i <= reps; i++) {
        const ms = await timed(() => call(SERIES, { id: longRun, name: METRIC, max: maxPoints }));
        if (i > 0) rawSeries.push(ms);
      }

      // 2. A live point on an open chart, beside a bare subscriber.
      await ingest([JSON.stringify({ runId: liveRun, name: METRIC, value: 1, step: 0 })]);
      const page = await newPage();
      await page.goto(`${platform.gatewayUrl}/runs/${liveRun}`);
      const figureSel = `figure[data-metric="${METRIC}"]`;
      await page.waitForFunction((sel) => document.querySelector(sel)?.getAttribute('data-last-step') === '0', figureSel);
      await page.waitForTimeout(500); // the subscription is set up after the first draw
      const livePoint: number[] = [];
      let step = 1;
      for (let i = 0; i <= reps; i++, step++) {
        const started = performance.now();
        await ingest([JSON.stringify({ runId: liveRun, name: METRIC, value: Math.random(), step })]);
        await page.waitForFunction(
          ([sel, s]) => document.querySelector(sel as string)?.getAttribute('data-last-step') === String(s),
          [figureSel, step] as const,
          { polling: 'raf', timeout: 10_000 },
        );
        if (i > 0) livePoint.push(performance.now() - started);
      }
      const ws = createClient({
        url: platform.graphqlUrl.replace(/^http/, 'ws'),
        webSocketImpl: WebSocket,
        connectionParams: { Authorization: `Bearer ${key}` },
      });
      const arrivals = new Map<number, () => void>();
      const stop = ws.subscribe<{ metricStream: { step: number } }>(
        { query: `subscription($r: ID!) { metricStream(runId: $r) { step } }`, variables: { r: liveRun } },
        { next: (e) => arrivals.get(e.data?.metricStream.step ?? -1)?.(), error: () => {}, complete: () => {} },
      );
      await new Promise((r) => setTimeout(r, 500));
      const rawLive: number[] = [];
      for (let i = 0; i <= reps; i++, step++) {
        const arrived = new Promise<void>((resolve) => arrivals.set(step, resolve));
        const started = performance.now();
        await ingest([JSON.stringify({ runId: liveRun, name: METRIC, value: Math.random(), step })]);
        await arrived;
        if (i > 0) rawLive.push(performance.now() - started);
      }
      stop();
      await ws.dispose();
      await page.close();

      // 3. The runs table: a filter, then a sort by a metric, each answered on screen.
      const filter = "params.batch = '64' AND metrics.loss < 0.5";
      const expectedCount = runIds.filter((_, i) => i % 2 === 1 && lossOf(i) < 0.5).length;
      const filterMs: number[] = [];
      const sortMs: number[] = [];
      const topByMin = runIds
        .map((_, i) => ({ i, min: lossOf(i) }))
        .filter(({ i }) => i % 2 === 1 && lossOf(i) < 0.5)
        .sort((a, b) => b.min - a.min)[0];
      const topName = topByMin ? `run-${String(topByMin.i).padStart(5, '0')}` : '';
      for (let i = 0; i <= reps; i++) {
        const table = await newPage();
        await table.goto(`${platform.gatewayUrl}/experiments/${tableExperiment}?m=loss`);
        const countSel = '[data-testid="run-count"]';
        await table.waitForFunction(
          ([sel, n]) => document.querySelector(sel as string)?.textContent === `${n} runs`,
          [countSel, runCount] as const,
          { timeout: 60_000 },
        );
        await table.getByLabel('Filter runs').fill(filter);
        let started = performance.now();
        await table.getByLabel('Filter runs').press('Enter');
        await table.waitForFunction(
          ([sel, n]) =>
            document.querySelector(sel as string)?.textContent === `${n} runs` &&
            document.querySelector('table.runs tbody tr[data-index="0"] a'),
          [countSel, expectedCount] as const,
          { polling: 'raf', timeout: 30_000 },
        );
        const filtered = performance.now() - started;
        started = performance.now();
        await table.getByRole('button', { name: 'loss (min)' }).click();
        await table.waitForFunction(
          (name) => document.querySelector('table.runs tbody tr[data-index="0"] a')?.textContent === name,
          topName,
          { polling: 'raf', timeout: 30_000 },
        );
        const sorted = performance.now() - started;
        if (i > 0) {
          filterMs.push(filtered);
          sortMs.push(sorted);
        }
        await table.close();
      }
      const rawFilter: number[] = [];
      const rawSort: number[] = [];
      for (let i = 0; i <= reps; i++) {
        const f = await timed(() =>
          call(RUNS_PAGE, { e: tableExperiment, s: filter, o: { field: 'CREATED_AT', direction: 'DESC' } }),
        );
        const s = await timed(() =>
          call(RUNS_PAGE, {
            e: tableExperiment,
            s: filter,
            o: { metric: { name: 'loss', aggregate: 'MIN' }, direction: 'DESC' },
          }),
        );
        if (i > 0) {
          rawFilter.push(f);
          rawSort.push(s);
        }
      }

      const n = points >= 1_000_000 ? `${points / 1_000_000}M` : `${points / 1000}k`;
      process.stdout.write(
        `  (first chart, last repetition, ms since navigation: ${timeline}; GraphQL operations in the order sent: ${operations.join(', ')})\n`,
      );
      process.stdout.write(
        `  (${n} points loaded in ${loadSeconds.toFixed(1)} s, ${runCount} runs made in ${tableSeconds.toFixed(1)} s; chart asked ${maxPoints} points; medians of ${reps}: first chart ${median(firstChart).toFixed(0)} ms (goal < 1500), live point ${median(livePoint).toFixed(0)} ms (goal < 1000), filter ${median(filterMs).toFixed(0)} ms, sort ${median(sortMs).toFixed(0)} ms (goal < 1000), JS ${(jsGzip / 1024).toFixed(0)} KB gzipped (goal < 500))\n`,
      );
      return [
        figure(
          `first chart of a ${n}-point run after navigation`,
          'ms',
          median(firstChart),
          { name: 'raw GraphQL fetch of the same series', value: median(rawSeries) },
          'lower',
        ),
        figure(
          'logged point drawn on an open chart',
          'ms',
          median(livePoint),
          { name: 'same point at a bare graphql-ws subscriber', value: median(rawLive) },
          'lower',
        ),
        figure(
          `runs table (${runCount} runs): filter answered`,
          'ms',
          median(filterMs),
          { name: 'raw GraphQL fetch of the first page', value: median(rawFilter) },
          'lower',
        ),
        figure(
          `runs table (${runCount} runs): sort by a metric answered`,
          'ms',
          median(sortMs),
          { name: 'raw GraphQL fetch of the first page', value: median(rawSort) },
          'lower',
        ),
        figure('app JavaScript, gzipped', 'KB', jsGzip / 1024, { name: 'budget', value: BUDGET_BYTES / 1024 }, 'lower'),
      ];
    } finally {
      await browser.close();
    }
  },
};
