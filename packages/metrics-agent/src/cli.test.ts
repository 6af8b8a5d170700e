import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './testing/testServer';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
const cli = fileURLToPath(new URL('./cli.ts', import.meta.url));
const RUN_ID = '22222222-3333-4444-8555-666666666666';

let server: TestServer;
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lab-metrics-cli-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  server = await startTestServer();
});
afterEach(async () => {
  await server.close();
});

function runCli(args: string[], options: { stdin?: string; env?: Record<string, string> } = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', cli, ...args], {
      cwd: repoRoot,
      env: { ...process.env, LAB_API_KEY: '', ...options.env },
    });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    proc.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    proc.on('error', reject);
    proc.on('close', (code) => resolve({ code, stdout, stderr }));
    proc.stdin.end(options.stdin ?? '');
  });
}

function jsonl(count: number, withRunId: boolean) {
  const lines: string[] = [];
  for (let step = 0; step < count; step++) {
    const point = { name: step % 2 ? 'acc' : 'loss', value: step / count, step, tags: { split: 'train' } };
    lines.push(JSON.stringify(withRunId ? { runId: RUN_ID, ...point } : point));
  }
  return `${lines.join('\n')}\n`;
}

describe('lab-metrics ship', () => {
  it('ships a 20k-line JSONL file', async () => {
    const file = join(dir, 'metrics.jsonl');
    writeFileSync(file, jsonl(20_000, false));
    const result = await runCli([
      'ship',
      file,
      '--url',
      server.url,
      '--api-key',
      'k',
      '--run-id',
      RUN_ID,
      '--batch-size',
      '5000',
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('20000 points sent, 20000 lines read, 0 invalid, 0 batches dropped');
    expect(server.requests.map((r) => r.lines.length)).toEqual([5000, 5000, 5000, 5000]);
    expect(server.requests[0]!.headers.authorization).toBe('Bearer k');
    const points = server.points();
    expect(points).toHaveLength(20_000);
    expect(points[19_999]).toMatchObject({ runId: RUN_ID, name: 'acc', step: 19_999, tags: { split: 'train' } });
  });

  it('ships standard input with the key from LAB_API_KEY', async () => {
    const result = await runCli(['ship', '-', '--url', server.url], {
      stdin: jsonl(20_000, true),
      env: { LAB_API_KEY: 'from-env' },
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('20000 points sent');
    expect(server.points()).toHaveLength(20_000);
    expect(server.requests[0]!.headers.authorization).toBe('Bearer from-env');
  });

  it('reports invalid lines and exits non-zero, shipping the valid ones', async () => {
    const input = `${JSON.stringify({ name: 'loss', value: 1, step: 0 })}\nnot json\n${JSON.stringify({ name: 'loss', value: 'x', step: 1 })}\n`;
    const result = await runCli(['ship', '--url', server.url, '--api-key', 'k', '--run-id', RUN_ID], { stdin: input });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('line 2:');
    expect(result.stderr).toContain('line 3:');
    expect(result.stdout).toContain('1 points sent, 3 lines read, 2 invalid');
    expect(server.points()).toHaveLength(1);
  });

  it('exits non-zero when the server refuses the batch', async () => {
    server.respond({ status: 401 });
    const result = await runCli(['ship', '--url', server.url, '--api-key', 'bad', '--run-id', RUN_ID], {
      stdin: jsonl(3, false),
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('401');
  });

  it('prints help, and refuses missing options', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: lab-metrics ship');
    const missing = await runCli(['ship', '-']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--url is required');
  });
});
