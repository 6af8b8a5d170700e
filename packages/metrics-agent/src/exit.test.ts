import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './testing/testServer';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
const child = fileURLToPath(new URL('./testing/exitChild.ts', import.meta.url));

let server: TestServer;
beforeEach(async () => {
  server = await startTestServer();
});
afterEach(async () => {
  await server.close();
});

function runChild(mode: string, points: number, exitFlushTimeoutMs = 10_000) {
  return new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve, reject) => {
    const proc = spawn(
      process.execPath,
      ['--import', 'tsx', child, server.url, mode, String(points), String(exitFlushTimeoutMs)],
      {
        cwd: repoRoot,
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    proc.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    proc.on('error', reject);
    proc.on('close', (code, signal) => resolve({ code, signal, stderr }));
  });
}

describe('flush on process exit', () => {
  it('flushes on beforeExit and the process exits normally', async () => {
    const result = await runChild('beforeExit', 25);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(server.points().map((p) => p.step)).toEqual(Array.from({ length: 25 }, (_, i) => i));
  });

  it.each(['SIGTERM', 'SIGINT'] as const)('flushes on %s, then dies of the signal', async (signal) => {
    const result = await runChild(signal, 10);
    expect(result.signal).toBe(signal);
    expect(server.points()).toHaveLength(10);
  });

  it('bounds the exit flush by exitFlushTimeoutMs when the server does not answer', async () => {
    server.respond({ status: 200, hold: new Promise(() => {}) });
    const started = Date.now();
    const result = await runChild('beforeExit', 5, 300);
    expect(result.code).toBe(0);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(server.requests).toHaveLength(1);
    expect(result.stderr).toContain('exit flush did not finish within 300 ms');
  });
});
