/**
 * The Python client (clients/python), measured by clients/python/benchmarks/bench_client.py
 * in processes of their own, each figure beside a baseline from the same process:
 *
 * - log() cost while the sender ships (2,000 calls of 4 metrics a second for 5 s), beside
 *   the floor of any buffering client (the same dicts turned into tuples on a list);
 * - points/s of one process logging 1M points as fast as it can until finish() returns
 *   (everything acknowledged), beside raw gzip NDJSON POSTs of the same points (built
 *   beforehand, timed alone), in phases of 500,000 in the order raw, client, client, raw,
 *   each after 3 s of rest, so that a change in machine load and ClickHouse's merges of
 *   the phase before fall on both sides. Goal: at least 0.8 of the raw rate;
 * - log() cost while the gateway is stopped (the slowest call; goal under 1 ms), beside
 *   the floor loop's slowest call, then peak RSS while 2M points are logged into the
 *   outage, beside the RSS before them (memory stays bounded: batches wait on disk).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { REPO_ROOT } from '@lab/stack';
import { type Benchmark, figure } from '../harness';

const SCRIPT = path.join(REPO_ROOT, 'clients/python/benchmarks/bench_client.py');

interface Percentiles {
  p50_us: number;
  p99_us: number;
  max_us: number;
  calls: number;
}

/** Runs one mode of the script; `onReady` is called when it prints "ready" (then a line goes to its stdin). */
async function runScript<T>(mode: string, url: string, key: string, project: string, onReady?: () => Promise<void>): Promise<T> {
  const child = spawn('python3', [SCRIPT, mode, url, project], {
    env: { ...process.env, PYTHONPATH: path.join(REPO_ROOT, 'clients/python/src'), LAB_API_KEY: key },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  let result: T | undefined;
  const lines = createInterface({ input: child.stdout });
  lines.on('line', (line) => {
    if (line === 'ready') {
      void (onReady ?? (async () => {}))().then(() => child.stdin.write('go\n'));
    } else if (line.startsWith('{')) {
      result = JSON.parse(line) as T;
    }
  });
  const [code] = (await once(child, 'close')) as [number | null];
  if (code !== 0 || result === undefined) throw new Error(`bench_client.py ${mode} failed (${code}): ${stderr.slice(-2000)}`);
  return result;
}

export const pythonClient: Benchmark = {
  name: 'python-client',
  description:
    'The Python client: log() cost while shipping and while the gateway is down, points/s of one process vs a raw POST of the same NDJSON, peak RSS in an outage',
  async run({ platform }) {
    const key = platform.adminApiKey;
    const url = platform.gatewayUrl;
    const project = `bench-python-${Date.now().toString(36)}`;

    const latency = await runScript<{ shipping: Percentiles; floor: Percentiles; stats: Record<string, number> }>(
      'latency',
      url,
      key,
      project,
    );
    const throughput = await runScript<{ client_points_per_s: number; raw_points_per_s: number; points: number }>(
      'throughput',
      url,
      key,
      project,
    );
    const gateway = platform.services.gateway;
    const down = await runScript<{
      down: Percentiles;
      floor: Percentiles;
      before_mb: number;
      peak_mb: number;
      stats: Record<string, number>;
    }>('down', url, key, project, () => gateway.stop()).finally(async () => {
      if (!gateway.running) await gateway.start();
    });
    process.stdout.write(
      `  (shipping: ${latency.stats.delivered} delivered, ${latency.stats.dropped} dropped; outage: ${down.stats.pending_points} points waiting on disk, ${down.stats.dropped} dropped, ${down.stats.buffered} in memory)\n`,
    );

    return [
      figure(
        'log() p50 while shipping',
        'µs',
        latency.shipping.p50_us,
        { name: 'floor p50', value: latency.floor.p50_us },
        'lower',
      ),
      figure(
        'log() p99 while shipping',
        'µs',
        latency.shipping.p99_us,
        { name: 'floor p99', value: latency.floor.p99_us },
        'lower',
      ),
      figure(
        'points/s, one Python process',
        'pts/s',
        throughput.client_points_per_s,
        { name: 'raw gzip NDJSON POST', value: throughput.raw_points_per_s },
        'higher',
      ),
      figure('log() p99, gateway down', 'µs', down.down.p99_us, { name: 'floor p99', value: down.floor.p99_us }, 'lower'),
      figure(
        'slowest log(), gateway down',
        'ms',
        down.down.max_us / 1000,
        { name: 'floor slowest', value: down.floor.max_us / 1000 },
        'lower',
      ),
      figure(
        'peak RSS, 2M points into an outage',
        'MB',
        down.peak_mb,
        { name: 'RSS before them', value: down.before_mb },
        'lower',
      ),
    ];
  },
};
