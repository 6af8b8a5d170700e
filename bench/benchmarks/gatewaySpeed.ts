/**
 * Our gateway beside a stock @apollo/gateway on the public
 * graphql-gateways-benchmark workload (The Guild): four small subgraphs
 * (accounts, inventory, products, reviews) and its heavy nested query —
 * users, their reviews, each review's product with its reviews and their
 * authors with their reviews and products, plus top products with inventory
 * and shipping estimates (about 71 KB of JSON per answer). 50 connections,
 * as the public benchmark's 50 virtual users.
 *
 * Setup (one run, same machine, same supergraph and subgraphs):
 * - the supergraph is composed at start with @apollo/composition from the
 *   subgraphs' SDL (bench/gatewaySpeed/subgraphs.ts);
 * - the four subgraphs run in one process of their own, each gateway in
 *   another, the load driver (autocannon) in this one; the load alternates
 *   between the two gateways in rounds (3 phases of BENCH_DURATION seconds,
 *   at least 10, each), so what else the machine does falls on both;
 * - stock: Apollo Server + `new ApolloGateway({ supergraphSdl })`, nothing
 *   tuned; ours: createGatewayExecutor (what server.ts builds) in Apollo
 *   Server on express, API key authentication and signed subgraph requests
 *   on (bench/gatewaySpeed/gateways.ts). The protection and observability
 *   plugins of the platform server are not in either.
 * On a 2-core machine the three processes share the cores, so the figures
 * are relative: read the ratio.
 *
 * Run alone: `npx tsx bench/benchmarks/gatewaySpeed.ts` (BENCH_DURATION
 * seconds a phase, default 10; BENCH_ROUNDS, default 3;
 * BENCH_GATEWAY_NODE_OPTIONS, e.g. `--cpu-prof`, is passed to the gateway
 * processes).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { SUBGRAPHS } from '../gatewaySpeed/subgraphs';
import { type Benchmark, type Figure, figure, type LoadResult, load, percentile } from '../harness';

export const GATEWAY_SPEED_QUERY = `fragment User on User {
  id
  username
  name
}

fragment Review on Review {
  id
  body
}

fragment Product on Product {
  inStock
  name
  price
  shippingEstimate
  upc
  weight
}

query TestQuery {
  users {
    ...User
    reviews {
      ...Review
      product {
        ...Product
        reviews {
          ...Review
          author {
            ...User
            reviews {
              ...Review
              product {
                ...Product
              }
            }
          }
        }
      }
    }
  }
  topProducts {
    ...Product
    reviews {
      ...Review
      author {
        ...User
        reviews {
          ...Review
          product {
            ...Product
          }
        }
      }
    }
  }
}`;

const CONNECTIONS = 50;
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

/** Checks one answer: no errors, the expected shape, its size. */
async function check(url: string, headers: Record<string, string>, body: string): Promise<number> {
  const res = await fetch(url, { method: 'POST', headers, body });
  const text = await res.text();
  const answer = JSON.parse(text) as {
    data?: {
      users?: { reviews?: { product?: { reviews?: { author?: { reviews?: unknown[] } }[] } }[] }[];
      topProducts?: unknown[];
    };
    errors?: unknown;
  };
  const users = answer.data?.users ?? [];
  const deepest = users[0]?.reviews?.[0]?.product?.reviews?.[0]?.author?.reviews;
  if (
    res.status !== 200 ||
    answer.errors ||
    users.length !== 6 ||
    answer.data?.topProducts?.length !== 5 ||
    deepest?.length !== 2
  ) {
    throw new Error(`unexpected answer from ${url} (HTTP ${res.status}): ${text.slice(0, 500)}`);
  }
  return Buffer.byteLength(text);
}

/** Both gateways' figures over all rounds: completed requests per second, latency percentiles. */
export interface GatewaySpeedResult {
  stock: LoadResult;
  ours: LoadResult;
  answerBytes: number;
  rounds: number;
}

/** Phases of one gateway merged: requests completed over the time measured, percentiles over every response. */
function merge(phases: LoadResult[], seconds: number): LoadResult {
  const times = phases.flatMap((p) => p.latenciesMs ?? []).sort((a, b) => a - b);
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
 * Both gateways run side by side (an idle one costs nothing); the load
 * alternates between them in `rounds` phases of `phaseSeconds` each, so a
 * change in what else the machine is doing falls on both. After each phase
 * one more request is awaited, so the requests still in flight are done
 * before the other gateway's phase starts.
 */
export async function measureGatewaySpeed(phaseSeconds: number, rounds = 3): Promise<GatewaySpeedResult> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lab-gateway-speed-'));
  const secret = randomBytes(32).toString('hex');
  const apiKey = randomBytes(24).toString('hex');
  const nodeOptions = (process.env.BENCH_GATEWAY_NODE_OPTIONS ?? '').split(' ').filter(Boolean);
  const children: ChildProcess[] = [];
  try {
    const subgraphs = await startProcess<Record<string, string>>('subgraphs.ts', [], {});
    children.push(subgraphs.child);
    const supergraphFile = path.join(dir, 'supergraph.graphql');
    writeFileSync(supergraphFile, composeSupergraph(subgraphs.ready));
    const env = {
      BENCH_SUPERGRAPH_FILE: supergraphFile,
      BENCH_SUBGRAPH_URLS: JSON.stringify(subgraphs.ready),
      LAB_INTERNAL_SECRET: secret,
      BENCH_API_KEY: apiKey,
    };
    const body = JSON.stringify({ query: GATEWAY_SPEED_QUERY });
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` };
    const urls = {} as Record<'stock' | 'ours', string>;
    let answerBytes = 0;
    for (const which of ['stock', 'ours'] as const) {
      const gateway = await startProcess<{ url: string }>('gateways.ts', [which], env, nodeOptions);
      children.push(gateway.child);
      urls[which] = gateway.ready.url;
      answerBytes = await check(urls[which], headers, body);
    }
    const phase = async (which: 'stock' | 'ours', seconds: number) => {
      const result = await load({
        url: urls[which],
        headers,
        body,
        durationSeconds: seconds,
        connections: CONNECTIONS,
        timeoutSeconds: 60,
      });
      await check(urls[which], headers, body);
      if (result.errors > 0 || result.non2xx > 0) {
        throw new Error(`${which}: ${result.errors} errors or timeouts, ${result.non2xx} non-2xx answers`);
      }
      return result;
    };
    await phase('stock', 2);
    await phase('ours', 2);
    const phases = { stock: [] as LoadResult[], ours: [] as LoadResult[] };
    for (let round = 0; round < rounds; round++) {
      phases.stock.push(await phase('stock', phaseSeconds));
      phases.ours.push(await phase('ours', phaseSeconds));
    }
    const seconds = phaseSeconds * rounds;
    return { stock: merge(phases.stock, seconds), ours: merge(phases.ours, seconds), answerBytes, rounds };
  } finally {
    for (const child of children.reverse()) await stopProcess(child);
    rmSync(dir, { recursive: true, force: true });
  }
}

export function gatewaySpeedFigures({ stock, ours }: GatewaySpeedResult): Figure[] {
  const base = (v: number) => ({ name: 'stock @apollo/gateway, same subgraphs', value: v });
  return [
    figure('throughput, heavy nested query', 'req/s', ours.requestsPerSecond, base(stock.requestsPerSecond), 'higher'),
    figure('p95 latency, heavy nested query', 'ms', ours.p95Ms ?? Number.NaN, base(stock.p95Ms ?? Number.NaN), 'lower'),
    figure('p99 latency, heavy nested query', 'ms', ours.p99Ms, base(stock.p99Ms), 'lower'),
  ];
}

export const gatewaySpeed: Benchmark = {
  name: 'gateway-speed',
  description: `The public gateway benchmark's heavy nested query (4 subgraphs, ${CONNECTIONS} connections): our gateway vs a stock @apollo/gateway`,
  async run({ durationSeconds }) {
    return gatewaySpeedFigures(await measureGatewaySpeed(Math.max(durationSeconds, 10)));
  },
};

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  const result = await measureGatewaySpeed(Number(process.env.BENCH_DURATION ?? 10), Number(process.env.BENCH_ROUNDS ?? 3));
  const row = (name: string, r: LoadResult) =>
    `  ${name.padEnd(6)} ${r.requestsPerSecond.toFixed(1).padStart(7)} req/s  p50 ${r.p50Ms} ms  p95 ${r.p95Ms} ms  p99 ${r.p99Ms} ms`;
  process.stdout.write(`answer ${result.answerBytes} bytes, ${CONNECTIONS} connections, ${result.rounds} rounds\n`);
  process.stdout.write(`${row('stock', result.stock)}\n${row('ours', result.ours)}\n`);
  process.stdout.write(`  ratio  ${(result.ours.requestsPerSecond / result.stock.requestsPerSecond).toFixed(2)}x throughput\n`);
}
