/**
 * The benchmark harness: each benchmark measures its figures against a
 * baseline taken in the same run on the same machine, so the ratio, not the
 * raw number, is what compares across noisy machines.
 */

import { BOOTSTRAP_ADMIN_ID, signContext } from '@lab/shared';
import type { Platform } from '@lab/stack';
import autocannon from 'autocannon';

export interface Figure {
  /** What was measured, e.g. "throughput, me query through the gateway". */
  name: string;
  unit: string;
  value: number;
  baseline: { name: string; value: number };
  /** value / baseline.value */
  ratio: number;
  /** Whether a higher value is better (throughput) or lower (latency). */
  better: 'higher' | 'lower';
}

export interface BenchContext {
  platform: Platform;
  /** Seconds each load phase runs (BENCH_DURATION, default 5). */
  durationSeconds: number;
  connections: number;
}

export interface Benchmark {
  name: string;
  description: string;
  run(ctx: BenchContext): Promise<Figure[]>;
}

export function figure(
  name: string,
  unit: string,
  value: number,
  baseline: { name: string; value: number },
  better: Figure['better'],
): Figure {
  return { name, unit, value, baseline, ratio: baseline.value === 0 ? Number.NaN : value / baseline.value, better };
}

/** The p50 and p99 figures (`p50 <what>`, `p99 <what>`, in ms, lower is better) of `measured` against `baseline`'s. */
export function latencyFigures(
  what: string,
  measured: { p50Ms: number; p99Ms: number },
  baseline: { name: string; p50Ms: number; p99Ms: number },
): Figure[] {
  return [
    figure(`p50 ${what}`, 'ms', measured.p50Ms, { name: baseline.name, value: baseline.p50Ms }, 'lower'),
    figure(`p99 ${what}`, 'ms', measured.p99Ms, { name: baseline.name, value: baseline.p99Ms }, 'lower'),
  ];
}

export interface LoadResult {
  requestsPerSecond: number;
  p50Ms: number;
  /** From each response's time (autocannon's summary has no p95); absent where the driver is not autocannon. */
  p95Ms?: number;
  /** Each response's time, sorted, so phases of one measurement can be merged; absent where the driver is not autocannon. */
  latenciesMs?: number[];
  p99Ms: number;
  errors: number;
  non2xx: number;
}

/** HTTP load with autocannon: a fixed number of connections for a fixed time. */
export async function load(options: {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  durationSeconds: number;
  connections: number;
  /** Seconds before a request counts as timed out (autocannon's default 10). */
  timeoutSeconds?: number;
}): Promise<LoadResult> {
  const times: number[] = [];
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: options.url,
        method: options.method ?? 'POST',
        headers: options.headers ?? {},
        ...(options.body ? { body: options.body } : {}),
        duration: options.durationSeconds,
        connections: options.connections,
        ...(options.timeoutSeconds ? { timeout: options.timeoutSeconds } : {}),
      },
      (err, done) => (err ? reject(err) : resolve(done)),
    );
    instance.on('response', (_client, _status, _bytes, ms) => times.push(ms));
  });
  times.sort((a, b) => a - b);
  return {
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p95Ms: percentile(times, 0.95),
    latenciesMs: times,
    p99Ms: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

/** The q-quantile (0..1) of sorted values; NaN when there are none. */
export function percentile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

/** `connections` loops calling `work(connection)` for `seconds`: throughput and latency percentiles. */
export async function closedLoop(
  work: (connection: number) => Promise<unknown>,
  seconds: number,
  connections: number,
): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: connections }, async (_, connection) => {
      while (performance.now() < end) {
        const started = performance.now();
        try {
          await work(connection);
          latencies.push(performance.now() - started);
        } catch {
          errors++;
        }
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  return {
    requestsPerSecond: latencies.length / seconds,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    errors,
    non2xx: 0,
  };
}

/** One GraphQL call with an API key; its data, or an error naming the first GraphQL error. */
export async function gql<T = Record<string, { id: string }>>(
  url: string,
  key: string,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: T; errors?: { message: string }[] };
  if (body.errors?.length || !body.data) throw new Error(`GraphQL: ${body.errors?.[0]?.message ?? `HTTP ${res.status}`}`);
  return body.data;
}

/** GraphQL through the gateway as the bootstrap admin (its API key); throws on any GraphQL error. */
export function adminGql(platform: Platform) {
  return <T = Record<string, Record<string, unknown>>>(query: string, variables: Record<string, unknown> = {}) =>
    gql<T>(platform.graphqlUrl, platform.adminApiKey, query, variables);
}

/** A fresh project of the benchmark (`bench-<name>-<suffix>`), made through the gateway; the suffix names its other things. */
export async function benchProject(platform: Platform, name: string): Promise<{ projectId: string; suffix: string }> {
  const suffix = Date.now().toString(36);
  const { createProject } = await adminGql(platform)<{ createProject: { id: string } }>(
    'mutation($i: CreateProjectInput!) { createProject(input: $i) { id } }',
    { i: { name: `bench-${name}-${suffix}` } },
  );
  return { projectId: createProject.id, suffix };
}

/** A fresh project with one experiment `name` in it, and a way to start runs in that experiment. */
export async function benchExperiment(platform: Platform, name: string) {
  const call = adminGql(platform);
  const { projectId, suffix } = await benchProject(platform, name);
  const { createExperiment } = await call<{ createExperiment: { id: string } }>(
    'mutation($i: CreateExperimentInput!) { createExperiment(input: $i) { id } }',
    { i: { projectId, name } },
  );
  const experimentId = createExperiment.id;
  const startRun = async (run: string) =>
    (
      await call<{ startRun: { id: string } }>('mutation($i: StartRunInput!) { startRun(input: $i) { id } }', {
        i: { experimentId, name: run },
      })
    ).startRun.id;
  return { projectId, experimentId, suffix, startRun };
}

/**
 * The same GraphQL request under load straight to a subgraph, signed as the gateway signs it for the bootstrap
 * admin (the baseline), and through the gateway with the admin's API key (measured): each warmed up for a second,
 * then each for `durationSeconds`, baseline first. Any error or non-2xx answer fails the benchmark.
 */
export async function directAndThroughGateway(
  { platform, durationSeconds, connections }: BenchContext,
  subgraph: keyof Platform['services'],
  query: string,
  variables: Record<string, unknown> = {},
): Promise<{ baseline: LoadResult; measured: LoadResult }> {
  const secret = platform.serviceEnv.LAB_INTERNAL_SECRET as string;
  const caller = { id: BOOTSTRAP_ADMIN_ID, kind: 'admin' as const, scopes: ['*'] };
  const body = JSON.stringify({ query, variables });
  const direct = (seconds: number) =>
    load({
      url: `${platform.services[subgraph].url}/graphql`,
      headers: {
        'content-type': 'application/json',
        'x-lab-context': signContext(secret, { requestId: 'bench', caller, query }),
      },
      body,
      durationSeconds: seconds,
      connections,
    });
  const viaGateway = (seconds: number) =>
    load({
      url: platform.graphqlUrl,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${platform.adminApiKey}` },
      body,
      durationSeconds: seconds,
      connections,
    });
  await direct(1);
  await viaGateway(1);
  const baseline = await direct(durationSeconds);
  const measured = await viaGateway(durationSeconds);
  for (const [name, r] of [
    ['direct', baseline],
    ['gateway', measured],
  ] as const) {
    if (r.errors > 0 || r.non2xx > 0) throw new Error(`${name}: ${r.errors} errors, ${r.non2xx} non-2xx answers`);
  }
  return { baseline, measured };
}
