/**
 * The Python client (clients/python) against the whole platform: the package is
 * installed the way its README says, offline (`pip install --isolated --no-index`)
 * into a fresh virtual environment, then each of its unittest modules runs with
 * LAB_URL and an API key of an ordinary user. A small control server lets the
 * Python tests stop and restart the gateway or the metrics service mid-run.
 */
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { REPO_ROOT } from '@lab/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newDataDir, startTestPlatform, type TestPlatform } from './support/testPlatform';

const CLIENT_DIR = path.join(REPO_ROOT, 'clients/python');
/** Every module of clients/python/tests: the unit tests first, then those that need the platform. */
const MODULES = [
  'test_points',
  'test_settings',
  'test_registry_inputs',
  'test_spool',
  'test_transport',
  'test_backend',
  'test_roundtrip',
  'test_read',
  'test_artifacts',
  'test_offline',
  'test_exit',
  'test_buffer',
  'test_outage',
];

interface Ran {
  code: number;
  output: string;
}

function run(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number }) {
  return new Promise<Ran>((resolve) => {
    execFile(
      command,
      args,
      { cwd: options.cwd, env: options.env, timeout: options.timeoutMs, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, output: `${stdout}${stderr}` });
      },
    );
  });
}

describe('the Python client against the platform', () => {
  let platform: TestPlatform;
  let control: Server;
  let workDir: string;
  let python: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    // Low multipart threshold and part size (5 MiB, the least S3 takes), so the tests upload in parts.
    platform = await startTestPlatform({ env: { ARTIFACTS_MULTIPART_THRESHOLD_MIB: '5', ARTIFACTS_PART_SIZE_MIB: '5' } });
    const user = await platform.gql<{ createUser: { id: string } }>(
      'mutation { createUser(input: { email: "researcher@lab.test", name: "Researcher" }) { id } }',
    );
    const key = await platform.gql<{ createApiKey: { secret: string } }>(
      'mutation($u: ID!) { createApiKey(input: { name: "python-client", userId: $u, scopes: ["write"] }) { secret } }',
      { u: user.body.data?.createUser.id },
    );
    const secret = key.body.data?.createApiKey.secret;
    expect(secret).toMatch(/^lab_/);

    control = createServer((req, res) => {
      const [, service, action] = (req.url ?? '').split('/');
      const target = service === 'gateway' || service === 'metrics' ? platform.services[service] : undefined;
      if (req.method !== 'POST' || !target || (action !== 'stop' && action !== 'start')) {
        res.writeHead(404).end();
        return;
      }
      (action === 'stop' ? target.stop() : target.start()).then(
        () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'),
        (err: Error) => res.writeHead(500).end(err.message),
      );
    });
    await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', resolve));

    workDir = newDataDir('lab-python-');
    const venv = path.join(workDir, 'venv');
    const made = await run('python3', ['-m', 'venv', venv], { cwd: workDir, env: process.env, timeoutMs: 120_000 });
    expect(made.code, made.output).toBe(0);
    python = path.join(venv, 'bin', 'python');
    // The documented install, with no index and no pip configuration: nothing may be downloaded.
    const installed = await run(python, ['-m', 'pip', 'install', '--isolated', '--no-index', '--quiet', CLIENT_DIR], {
      cwd: workDir,
      env: process.env,
      timeoutMs: 180_000,
    });
    expect(installed.code, installed.output).toBe(0);

    env = {
      PATH: process.env.PATH,
      HOME: workDir,
      LAB_URL: platform.gatewayUrl,
      LAB_API_KEY: secret,
      LAB_E2E: '1',
      LAB_TEST_CONTROL_URL: `http://127.0.0.1:${(control.address() as AddressInfo).port}`,
      LAB_DIR: path.join(workDir, 'labruns'),
      TMPDIR: workDir,
      PYTHONDONTWRITEBYTECODE: '1',
    };
  });

  afterAll(async () => {
    await new Promise((resolve) => control?.close(resolve));
    await platform?.stop();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it.each(MODULES)('%s passes', async (module) => {
    const result = await run(python, ['-m', 'unittest', '-v', module], {
      cwd: path.join(CLIENT_DIR, 'tests'),
      env,
      timeoutMs: 110_000,
    });
    if (result.code !== 0) console.error(result.output);
    expect(result.code, result.output.slice(-4000)).toBe(0);
    expect(result.output).toMatch(/\nOK/);
    // Skips are allowed only where pandas is missing.
    const skipped = [...result.output.matchAll(/skipped '([^']*)'/g)].map((m) => m[1]);
    expect(skipped.filter((reason) => !reason?.includes('pandas'))).toEqual([]);
  });
});
