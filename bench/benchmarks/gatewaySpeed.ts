/**
 * Our gateway beside a stock @apollo/gateway on the public
 * graphql-gateways-benchmark workload (The Guild): four small subgraphs
 * (accounts, inventory, products, reviews) and its heavy nested query —
 * users, their reviews, each review's product with its reviews and their
 * authors with their reviews and products, plus top products with inventory
 * and shipping estimates (about 87 KB of JSON per answer).
 *
 * Three variants, each stock beside ours in the same run:
 * - heavy: the heavy query from 50 connections of one caller, ours as the
 *   platform runs it (identical in-flight subgraph queries of one caller
 *   sent once);
 * - heavy, no sharing: the same with in-flight sharing off;
 * - mix: 20 connections, each its own caller, walking a mix of 16 requests
 *   of varied selections and arguments (bench/gatewaySpeed/workload.ts),
 *   in-flight sharing off.
 * Every answer's body is compared with the verified body of its request
 * (stock's answer, checked to hold no errors and to equal ours): one
 * difference in ours fails the benchmark; stock's are counted (it reuses
 * subgraph connections the subgraph has closed and answers 200 with errors).
 *
 * Setup (one run, same machine, same supergraph and subgraphs):
 * - the supergraph is composed at start with @apollo/composition from the
 *   subgraphs' SDL (bench/gatewaySpeed/subgraphs.ts); the subgraphs keep
 *   Node's default keep-alive timeout of 5 s;
 * - the four subgraphs run in one process of their own, each gateway in
 *   another, the load driver (autocannon) in this one; the load alternates
 *   between stock and ours in rounds (3 phases of BENCH_DURATION seconds,
 *   at least 10, each), so what else the machine does falls on both;
 * - stock: Apollo Server + `new ApolloGateway({ supergraphSdl })`, nothing
 *   tuned; ours: startGateway, the platform's gateway with everything on
 *   (bench/gatewaySpeed/gateways.ts says what points where).
 * On a 2-core machine the processes share the cores, so the figures are
 * relative: read the ratio.
 *
 * Run alone: `npx tsx bench/benchmarks/gatewaySpeed.ts` (BENCH_DURATION
 * seconds a phase, default 10; BENCH_ROUNDS, default 3; BENCH_VARIANTS, a
 * comma list of heavy, heavy-nodedup, mix, default all;
 * BENCH_GATEWAY_NODE_OPTIONS, e.g. `--cpu-prof`, is passed to the gateway
 * processes, BENCH_OURS_NODE_OPTIONS to ours only).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { SUBGRAPHS } from '../gatewaySpeed/subgraphs';
import { type DriveResult, drive, HEAVY_QUERY, MIX } from '../gatewaySpeed/workload';
import { type Benchmark, type Figure, figure, type LoadResult, percentile } from '../harness';

const HEAVY_CONNECTIONS = 50;
const MIX_CALLERS = 20;
const DIR = path.join(import.meta.dirname, '..', 'gatewaySpeed');

function composeSupergraph(urls: Record<string, string>): string {
  const result = composeServices(
    Object.entries(SUBGRAPHS).map(([name, { typeDefs }]) => ({ name, typeDefs: parse(typeDefs), url: urls[name] })),
  );
  if (result.errors) throw new Error(`composition failed: ${result.errors.map((e) => e.message).join('; ')}`);
  return result.supergraphSdl;
}

/** Starts a TypeScript entry point as a process of its own and resolves with the JSON line it prints once ready. */
async function startProcess<T>(
  file: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  nodeOptions: string[] = [],
): Promise<{ child: ChildProcess; ready: T }> {
  const child = spawn(process.execPath, [...nodeOptions, '--import', 'tsx', path.join(DIR, file), ...args], {
    env: { ...process.env, ...env },
    cwd: process.cwd(),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const ready = await new Promise<T>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${file} ${args.join(' ')} exited with ${code} before it was ready`)));
    lines.once('line', (line) => resolve(JSON.parse(line) as T));
  });
  return { child, ready };
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** A request's answer body, refused unless HTTP 200 without errors. */
async function answer(url: string, apiKey: string, body: string): Promise<string> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}.0` },
    body,
  });
  const text = await res.text();
  if (res.status !== 200 || (JSON.parse(text) as { errors?: unknown }).errors) {
    throw new Error(`unexpected answer from ${url} (HTTP ${res.status}): ${text.slice(0, 500)}`);
  }
  return text;
}

type Gateway = 'stock' | 'ours' | 'ours-nodedup';
type Variant = 'heavy' | 'heavy-nodedup' | 'mix';
const VARIANTS: Record<Variant, { ours: Gateway; bodies: readonly string[]; connections: number }> = {
  heavy: { ours: 'ours', bodies: [JSON.stringify({ query: HEAVY_QUERY })], connections: HEAVY_CONNECTIONS },
  'heavy-nodedup': { ours: 'ours-nodedup', bodies: [JSON.stringify({ query: HEAVY_QUERY })], connections: HEAVY_CONNECTIONS },
  mix: { ours: 'ours-nodedup', bodies: MIX, connections: MIX_CALLERS },
};

/** Stock's and ours' figures over all rounds of one variant: completed requests per second, latency percentiles. */
export interface VariantResult {
  variant: Variant;
  stock: LoadResult;
  ours: LoadResult;
  /** Answers checked; all of ours equal the verified ones. */
  answers: number;
  /** Stock's answers that were not (a subgraph connection it reused had been closed: HTTP 200 with errors). */
  stockPartial: number;
  /** CPU milliseconds per answer of each gateway's process, and of the subgraphs' process while it ran. */
  cpuMsPerAnswer: Record<'stock' | 'ours', { gateway: number; subgraphs: number }>;
}

/** CPU milliseconds a process has used (user and system, from /proc; NaN where there is none). */
function cpuMs(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return Number.NaN;
  }
}

export interface GatewaySpeedResult {
  variants: VariantResult[];
  answerBytes: number;
  rounds: number;
}

/** Phases of one gateway merged: requests completed over the time measured, percentiles over every response. */
function merge(phases: DriveResult[], seconds: number): LoadResult {
  const times = phases.flatMap((p) => p.latenciesMs).sort((a, b) => a - b);
  return {
    requestsPerSecond: times.length / seconds,
    p50Ms: percentile(times, 0.5),
    p95Ms: percentile(times, 0.95),
    p99Ms: percentile(times, 0.99),
    errors: phases.reduce((n, p) => n + p.errors, 0),
    non2xx: phases.reduce((n, p) => n + p.non2xx, 0),
  };
}

/**
 * The gateways run side by side (an idle one costs nothing); in each variant
 * the load alternates between stock and ours in `rounds` phases of
 * `phaseSeconds` each, so a change in what else the machine is doing falls on
 * both. Each phase waits for the requests in flight, so they are done before
 * the other gateway's phase starts.
 */
export async function measureGatewaySpeed(
  phaseSeconds: number,
  rounds = 3,
  variants: readonly Variant[] = ['heavy', 'heavy-nodedup', 'mix'],
): Promise<GatewaySpeedResult> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lab-gateway-speed-'));
  const secret = randomBytes(32).toString('hex');
  const apiKey = randomBytes(24).toString('hex');
  const nodeOptions = (process.env.BENCH_GATEWAY_NODE_OPTIONS ?? '').split(' ').filter(Boolean);
  const oursNodeOptions = (process.env.BENCH_OURS_NODE_OPTIONS ?? '').split(' ').filter(Boolean);
  const children: ChildProcess[] = [];
  try {
    const subgraphs = await startProcess<Record<string, string>>('subgraphs.ts', [], {});
    children.push(subgraphs.child);
    const { sink, ...subgraphUrls } = subgraphs.ready;
    const supergraphFile = path.join(dir, 'supergraph.graphql');
    writeFileSync(supergraphFile, composeSupergraph(subgraphUrls));
    const env = {
      BENCH_SUPERGRAPH_FILE: supergraphFile,
      BENCH_SUBGRAPH_URLS: JSON.stringify(subgraphUrls),
      BENCH_SINK_URL: sink,
      BENCH_CALLERS: String(MIX_CALLERS),
      LAB_INTERNAL_SECRET: secret,
      BENCH_API_KEY: apiKey,
    };
    const needed = new Set<Gateway>(['stock', ...variants.map((v) => VARIANTS[v].ours)]);
    const urls = {} as Record<Gateway, string>;
    const pids = { subgraphs: subgraphs.child.pid } as Record<Gateway | 'subgraphs', number | undefined>;
    for (const which of needed) {
      const gateway = await startProcess<{ url: string }>('gateways.ts', [which], env, [
        ...nodeOptions,
        ...(which === 'stock' ? [] : oursNodeOptions),
      ]);
      children.push(gateway.child);
      urls[which] = gateway.ready.url;
      pids[which] = gateway.child.pid;
    }
    // The verified answers: stock's, without errors, and ours the same byte for byte.
    const verified = new Map<string, string>();
    for (const body of new Set(variants.flatMap((v) => VARIANTS[v].bodies))) {
      const expected = await answer(urls.stock, apiKey, body);
      for (const which of needed) {
        const got = await answer(urls[which], apiKey, body);
        if (got !== expected) throw new Error(`${which} answers ${body.slice(0, 80)} otherwise than stock: ${got.slice(0, 300)}`);
      }
      verified.set(body, expected);
    }
    const results: VariantResult[] = [];
    for (const variant of variants) {
      const { bodies, connections } = VARIANTS[variant];
      const expected = bodies.map((b) => verified.get(b) as string);
      let stockPartial = 0;
      const cpu = { stock: { gateway: 0, subgraphs: 0 }, ours: { gateway: 0, subgraphs: 0 } };
      const phase = async (which: Gateway, seconds: number, measured = false) => {
        const before = { gateway: cpuMs(pids[which]), subgraphs: cpuMs(pids.subgraphs) };
        const result = await drive({
          url: urls[which],
          bodies,
          expected,
          apiKey,
          callers: MIX_CALLERS,
          connections,
          durationSeconds: seconds,
        });
        if (measured) {
          const side = cpu[which === 'stock' ? 'stock' : 'ours'];
          side.gateway += cpuMs(pids[which]) - before.gateway;
          side.subgraphs += cpuMs(pids.subgraphs) - before.subgraphs;
        }
        // Stock's own failures (it reuses connections the subgraphs closed) are counted, not ours to fix.
        if (which === 'stock' && result.errors === 0 && result.non2xx === 0) {
          stockPartial += result.partial;
          return result;
        }
        if (result.errors > 0 || result.non2xx > 0 || result.partial > 0) {
          throw new Error(
            `${variant}, ${which}: ${result.errors} errors or timeouts, ${result.non2xx} non-2xx, ${result.partial} partial answers (${result.firstPartial})`,
          );
        }
        return result;
      };
      const gateways = ['stock', VARIANTS[variant].ours] as const;
      for (const which of gateways) await phase(which, 2);
      const phases = { stock: [] as DriveResult[], ours: [] as DriveResult[] };
      for (let round = 0; round < rounds; round++) {
        phases.stock.push(await phase('stock', phaseSeconds, true));
        phases.ours.push(await phase(gateways[1], phaseSeconds, true));
      }
      const seconds = phaseSeconds * rounds;
      const answers = [...phases.stock, ...phases.ours].reduce((n, p) => n + p.latenciesMs.length, 0);
      const perAnswer = (side: 'stock' | 'ours') => {
        const n = phases[side].reduce((sum, p) => sum + p.latenciesMs.length, 0);
        return { gateway: cpu[side].gateway / n, subgraphs: cpu[side].subgraphs / n };
      };
      results.push({
        variant,
        stock: merge(phases.stock, seconds),
        ours: merge(phases.ours, seconds),
        answers,
        stockPartial,
        cpuMsPerAnswer: { stock: perAnswer('stock'), ours: perAnswer('ours') },
      });
    }
    const answerBytes = Buffer.byteLength(verified.get(JSON.stringify({ query: HEAVY_QUERY })) ?? '');
    return { variants: results, answerBytes, rounds };
  } finally {
    for (const child of children.reverse()) await stopProcess(child);
    rmSync(dir, { recursive: true, force: true });
  }
}

const LABELS: Record<Variant, string> = {
  heavy: 'heavy nested query',
  'heavy-nodedup': 'heavy query, no sharing',
  mix: `mix, ${MIX_CALLERS} callers, no sharing`,
};

export function gatewaySpeedFigures({ variants }: GatewaySpeedResult): Figure[] {
  const base = (v: number) => ({ name: 'stock @apollo/gateway, same subgraphs', value: v });
  return variants.flatMap(({ variant, stock, ours, cpuMsPerAnswer }) => [
    figure(`throughput, ${LABELS[variant]}`, 'req/s', ours.requestsPerSecond, base(stock.requestsPerSecond), 'higher'),
    figure(`p95 latency, ${LABELS[variant]}`, 'ms', ours.p95Ms ?? Number.NaN, base(stock.p95Ms ?? Number.NaN), 'lower'),
    figure(`p99 latency, ${LABELS[variant]}`, 'ms', ours.p99Ms, base(stock.p99Ms), 'lower'),
    figure(
      `gateway CPU per answer, ${LABELS[variant]}`,
      'ms',
      cpuMsPerAnswer.ours.gateway,
      base(cpuMsPerAnswer.stock.gateway),
      'lower',
    ),
  ]);
}

export const gatewaySpeed: Benchmark = {
  name: 'gateway-speed',
  description: `The public gateway benchmark's workload (4 subgraphs): the heavy nested query from ${HEAVY_CONNECTIONS} connections with and without in-flight sharing, and a mix of varied queries from ${MIX_CALLERS} callers; our gateway vs a stock @apollo/gateway`,
  async run({ durationSeconds }) {
    return gatewaySpeedFigures(await measureGatewaySpeed(Math.max(durationSeconds, 10)));
  },
};

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  const variants = (process.env.BENCH_VARIANTS?.split(',') ?? ['heavy', 'heavy-nodedup', 'mix']) as Variant[];
  const result = await measureGatewaySpeed(
    Number(process.env.BENCH_DURATION ?? 10),
    Number(process.env.BENCH_ROUNDS ?? 3),
    variants,
  );
  const row = (name: string, r: LoadResult) =>
    `    ${name.padEnd(6)} ${r.requestsPerSecond.toFixed(1).padStart(7)} req/s  p50 ${r.p50Ms} ms  p95 ${r.p95Ms} ms  p99 ${r.p99Ms} ms`;
  process.stdout.write(
    `heavy answer ${result.answerBytes} bytes, ${result.rounds} rounds, load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}\n`,
  );
  for (const v of result.variants) {
    process.stdout.write(
      `  ${LABELS[v.variant]} (${v.answers} answers checked, ours all verified, stock ${v.stockPartial} partial)\n${row('stock', v.stock)}\n${row('ours', v.ours)}\n`,
    );
    process.stdout.write(
      `    ratio  ${(v.ours.requestsPerSecond / v.stock.requestsPerSecond).toFixed(2)}x throughput, p99 ${(v.ours.p99Ms / v.stock.p99Ms).toFixed(2)} of stock\n`,
    );
    const { stock, ours } = v.cpuMsPerAnswer;
    process.stdout.write(
      `    CPU ms per answer: gateway ${stock.gateway.toFixed(2)} stock / ${ours.gateway.toFixed(2)} ours (${(ours.gateway / stock.gateway).toFixed(2)}), subgraphs ${stock.subgraphs.toFixed(2)} / ${ours.subgraphs.toFixed(2)}\n`,
    );
  }
}
