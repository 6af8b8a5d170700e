/**
 * The test kit of the end-to-end suites: a whole platform on random free ports
 * with its own data folder, plus a small GraphQL client for the gateway.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FREE_PORTS_ENV, type Platform, startPlatform } from '@lab/stack';

/** Store and port variables a developer's shell may carry; tests start from none of them. */
const CLEARED = [
  'DATABASE_URL',
  'CLICKHOUSE_URL',
  'S3_ENDPOINT',
  'S3_ACCESS_KEY_ID',
  'S3_SECRET_ACCESS_KEY',
  'REGISTRY_URL',
  'METRICS_URL',
  'ARTIFACTS_URL',
  'LAB_ADMIN_API_KEY',
  'LAB_INTERNAL_SECRET',
  'LAB_REDIS_URL',
];

export const TEST_ADMIN_KEY = 'test-admin-key-0123456789abcdef';

export interface GraphQLResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: {
    data?: T | null;
    errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
  };
}

export interface TestPlatform extends Platform {
  dataDir: string;
  /** A project, an experiment in it and a run in that, made by the admin; returns their ids. */
  newRun(names: {
    project: string;
    experiment: string;
    run: string;
  }): Promise<{ projectId: string; experimentId: string; runId: string }>;
  gql<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    options?: { key?: string | null; headers?: Record<string, string> },
  ): Promise<GraphQLResponse<T>>;
}

export function newDataDir(prefix = 'lab-e2e-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

export async function startTestPlatform(options: { dataDir?: string; env?: NodeJS.ProcessEnv } = {}): Promise<TestPlatform> {
  const dataDir = options.dataDir ?? newDataDir();
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of CLEARED) delete env[name];
  Object.assign(env, {
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    LOG_FORMAT: 'json',
    LAB_DATA_DIR: dataDir,
    LAB_ADMIN_API_KEY: TEST_ADMIN_KEY,
    ...FREE_PORTS_ENV,
    ...options.env,
  });
  const platform = await startPlatform({ env, output: { logDir: path.join(dataDir, 'logs') } });
  const gql: TestPlatform['gql'] = async (query, variables, opts = {}) => {
    const key = opts.key === undefined ? TEST_ADMIN_KEY : opts.key;
    const response = await fetch(platform.graphqlUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...opts.headers,
      },
      body: JSON.stringify({ query, variables }),
    });
    // biome-ignore lint/suspicious/noExplicitAny: the caller states the shape of data
    return { status: response.status, headers: response.headers, body: (await response.json()) as any };
  };
  const id = async (query: string, variables: Record<string, unknown>, field: string): Promise<string> => {
    const answer = await gql<Record<string, { id: string }>>(query, variables);
    const value = answer.body.data?.[field]?.id;
    if (!value) throw new Error(`${field} failed: ${JSON.stringify(answer.body.errors)}`);
    return value;
  };
  return {
    ...platform,
    dataDir,
    gql,
    async newRun(names) {
      const projectId = await id(
        'mutation($n: String!) { createProject(input: { name: $n }) { id } }',
        { n: names.project },
        'createProject',
      );
      const experimentId = await id(
        'mutation($p: ID!, $n: String!) { createExperiment(input: { projectId: $p, name: $n }) { id } }',
        { p: projectId, n: names.experiment },
        'createExperiment',
      );
      const runId = await id(
        'mutation($e: ID!, $n: String!) { startRun(input: { experimentId: $e, name: $n }) { id } }',
        { e: experimentId, n: names.run },
        'startRun',
      );
      return { projectId, experimentId, runId };
    },
  };
}

export async function getHealth(platform: Platform): Promise<{ status: number; body: HealthBody }> {
  const response = await fetch(platform.healthUrl);
  return { status: response.status, body: (await response.json()) as HealthBody };
}

export interface HealthBody {
  status: 'up' | 'down';
  components: Record<string, { status: 'up' | 'down'; latencyMs: number; error?: string }>;
}

/** Polls until `check` passes or the time is up (for states that settle, like a store going down). */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 15_000, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }
}
