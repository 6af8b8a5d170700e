/**
 * `npm run bench [-- --only name,name]`: starts the platform on a fresh data
 * folder (embedded stores unless store variables point at servers), runs the
 * benchmarks, prints each figure beside its baseline and the ratio, and writes
 * them to bench/results/latest.json (and a dated copy).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { FREE_PORTS_ENV, startPlatform } from '@lab/stack';
import { benchmarks } from './benchmarks/index';
import type { Figure } from './harness';

const { values } = parseArgs({
  options: { only: { type: 'string' }, duration: { type: 'string' }, connections: { type: 'string' } },
});
const only = values.only?.split(',').map((s) => s.trim());
const selected = only ? benchmarks.filter((b) => only.includes(b.name)) : benchmarks;
if (selected.length === 0) {
  console.error(`No benchmark named ${values.only}. Known: ${benchmarks.map((b) => b.name).join(', ')}`);
  process.exit(2);
}

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'lab-bench-'));
const env = {
  ...process.env,
  LAB_DATA_DIR: dataDir,
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  ...FREE_PORTS_ENV,
  // Load from one key is the point here: no per-caller rate limit unless asked for.
  GATEWAY_RATE_LIMIT_PER_SECOND: process.env.GATEWAY_RATE_LIMIT_PER_SECOND ?? '0',
};
const durationSeconds = Number(values.duration ?? process.env.BENCH_DURATION ?? 5);
const connections = Number(values.connections ?? process.env.BENCH_CONNECTIONS ?? 20);

function fmt(n: number): string {
  return Number.isFinite(n) ? (Math.abs(n) >= 100 ? n.toFixed(0) : n.toFixed(2)) : String(n);
}

const platform = await startPlatform({ env, output: { logDir: path.join(dataDir, 'logs') } });
const results: { benchmark: string; description: string; figures: Figure[]; error?: string }[] = [];
try {
  for (const benchmark of selected) {
    process.stdout.write(`\n${benchmark.name}: ${benchmark.description}\n`);
    try {
      const figures = await benchmark.run({ platform, durationSeconds, connections });
      for (const f of figures) {
        process.stdout.write(
          `  ${f.name.padEnd(40)} ${fmt(f.value).padStart(10)} ${f.unit.padEnd(6)} baseline ${fmt(f.baseline.value).padStart(10)} (${f.baseline.name})  ratio ${fmt(f.ratio)} (${f.better} is better)\n`,
        );
      }
      results.push({ benchmark: benchmark.name, description: benchmark.description, figures });
    } catch (err) {
      process.stdout.write(`  FAILED: ${(err as Error).message}\n`);
      results.push({ benchmark: benchmark.name, description: benchmark.description, figures: [], error: (err as Error).message });
    }
  }
} finally {
  await platform.stop();
  rmSync(dataDir, { recursive: true, force: true });
}

const outDir = path.join(import.meta.dirname, 'results');
mkdirSync(outDir, { recursive: true });
const report = {
  at: new Date().toISOString(),
  machine: { cpus: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version },
  settings: { durationSeconds, connections },
  results,
};
const json = `${JSON.stringify(report, null, 2)}\n`;
writeFileSync(path.join(outDir, 'latest.json'), json);
writeFileSync(path.join(outDir, `${report.at.replace(/[:.]/g, '-')}.json`), json);
process.stdout.write(`\nWrote ${path.relative(process.cwd(), path.join(outDir, 'latest.json'))}\n`);
process.exit(results.some((r) => r.error) ? 1 : 0);
