/** The artifacts service end to end in one process, on the embedded S3 server in a fresh temp dir. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CONTEXT_HEADER, createLogger, loadConfig, signContext } from '@lab/shared';
import { type EmbeddedS3, startEmbeddedS3 } from '@lab/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningArtifacts, startArtifacts } from './service';

const dataDir = mkdtempSync(path.join(tmpdir(), 'artifacts-service-'));
const secret = 'x'.repeat(32);
let s3: EmbeddedS3;
let running: RunningArtifacts;
let config: ReturnType<typeof loadConfig>;
const log = createLogger('artifacts', { logLevel: 'silent', logFormat: 'json' });

async function gql(query: string) {
  const caller = { id: 'test', kind: 'service' as const, scopes: ['*'] };
  const res = await fetch(`${running.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', [CONTEXT_HEADER]: signContext(secret, { requestId: 'r1', caller, query }) },
    body: JSON.stringify({ query }),
  });
  return (await res.json()) as { data?: { artifactsStatus?: Record<string, unknown> }; errors?: unknown[] };
}

async function health() {
  const res = await fetch(`${running.url}/health`);
  return { status: res.status, body: (await res.json()) as { components: Record<string, { status: string }> } };
}

beforeAll(async () => {
  s3 = await startEmbeddedS3({ dataDir });
  config = loadConfig({ ...s3.env, LAB_INTERNAL_SECRET: secret, ARTIFACTS_PORT: '0' });
  running = await startArtifacts(config, log);
});

afterAll(async () => {
  await running?.stop();
  await s3?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('artifacts service on s3rver', () => {
  it('answers artifactsStatus with the server and what it supports', async () => {
    const body = await gql('{ artifactsStatus { service store serverVersion latencyMs } }');
    expect(body.errors).toBeUndefined();
    expect(body.data?.artifactsStatus).toMatchObject({
      service: 'artifacts',
      store: 's3',
      serverVersion: `${new URL(s3.endpoint).host} (versioning: no, lifecycle: no)`,
    });
    expect(body.data?.artifactsStatus?.latencyMs).toEqual(expect.any(Number));
  });

  it('reports S3 on /health, down once the server is gone', async () => {
    expect(await health()).toMatchObject({ status: 200, body: { components: { s3: { status: 'up' } } } });
    await s3.stop();
    expect(await health()).toMatchObject({ status: 503, body: { components: { s3: { status: 'down' } } } });
  });

  it('refuses to start without S3_ENDPOINT or the internal secret', async () => {
    await expect(startArtifacts(loadConfig({ LAB_INTERNAL_SECRET: secret }), log)).rejects.toThrow(/S3_ENDPOINT is not set/);
    await expect(startArtifacts(loadConfig({ S3_ENDPOINT: s3.endpoint }), log)).rejects.toThrow(/LAB_INTERNAL_SECRET is not set/);
  });
});
