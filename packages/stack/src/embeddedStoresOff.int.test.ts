/**
 * LAB_EMBEDDED_STORES=false as a deployment uses it: each service started on its own, as a container
 * runs it, without its store's address refuses to start with a configuration error (exit 78) naming
 * the variable, and opens no embedded store; `npm start` refuses the same way.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENTRIES, REPO_ROOT, type ServiceName, startPlatform } from './platform';

/** The environment of a container: no store address, no embedded stores. */
function containerEnv(dataDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME };
  return {
    ...env,
    NODE_ENV: 'production',
    LOG_FORMAT: 'json',
    LAB_EMBEDDED_STORES: 'false',
    LAB_DATA_DIR: dataDir,
    LAB_INTERNAL_SECRET: 'x'.repeat(32),
    LAB_ADMIN_API_KEY: 'a'.repeat(24),
    REGISTRY_PORT: '0',
    METRICS_PORT: '0',
    ARTIFACTS_PORT: '0',
  };
}

function run(service: ServiceName, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, ENTRIES[service])], {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

describe('LAB_EMBEDDED_STORES=false', () => {
  const cases: [ServiceName, string][] = [
    ['metrics', 'CLICKHOUSE_URL'],
    ['registry', 'DATABASE_URL'],
    ['artifacts', 'S3_ENDPOINT'],
  ];

  it.each(cases)('%s without its store address stops at start, naming %s', async (service, variable) => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'lab-no-embedded-'));
    const { code, stderr } = await run(service, containerEnv(dataDir));
    expect(code).toBe(78);
    expect(stderr).toContain(`${variable} is not set and LAB_EMBEDDED_STORES=false`);
    // Nothing embedded was opened in its place.
    expect(existsSync(path.join(dataDir, 'clickhouse'))).toBe(false);
  });

  it('npm start refuses too, naming every missing address', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'lab-no-embedded-'));
    await expect(startPlatform({ env: { ...containerEnv(dataDir), CLICKHOUSE_URL: 'http://127.0.0.1:1' } })).rejects.toThrow(
      /LAB_EMBEDDED_STORES=false but DATABASE_URL, S3_ENDPOINT are not set/,
    );
    expect(existsSync(path.join(dataDir, 'postgres'))).toBe(false);
  });
});
