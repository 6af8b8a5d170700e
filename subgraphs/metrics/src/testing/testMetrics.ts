/**
 * For integration tests: the metrics service (chdb in a temp folder) beside a
 * real registry subgraph on an embedded PostgreSQL, which answers the run
 * lookups and access checks; a project with an editor and a viewer, a
 * stranger outside it, and one experiment to hang runs on.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startRegistry } from '@lab/registry';
import { PrismaClient } from '@lab/registry/prisma';
import { type Caller, CONTEXT_HEADER, type Config, createLogger, loadConfig, signContext } from '@lab/shared';
import { type EmbeddedPostgres, freePort, startEmbeddedPostgres } from '@lab/stack';
import { type CountingProxy, type ProxiedCall, startCountingProxy } from '@lab/stack/testing';
import { PrismaPg } from '@prisma/adapter-pg';
import { type RunningMetrics, startMetrics } from '../service';

export interface GqlResult {
  // biome-ignore lint/suspicious/noExplicitAny: test answers are checked field by field
  data?: any;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
}

export interface TestMetrics {
  metrics: RunningMetrics;
  /** The metrics service's configuration (e.g. to open a second client on its embedded ClickHouse). */
  config: Config;
  prisma: PrismaClient;
  /** The registry subgraph's GraphQL URL. */
  registryUrl: string;
  /** With `countRegistryCalls`: every call the metrics service made to the registry, in order. */
  registryCalls: ProxiedCall[];
  /** The internal secret the services share (tests sign with it). */
  secret: string;
  editor: Caller;
  viewer: Caller;
  stranger: Caller;
  experimentId: string;
  newRun(name: string): Promise<string>;
  /** A GraphQL request to the metrics subgraph, signed for `caller`. */
  gql(caller: Caller, query: string, variables?: Record<string, unknown>): Promise<GqlResult>;
  stop(): Promise<void>;
}

/**
 * `env`: more configuration for both services (e.g. LAB_METRICS_RETENTION_DAYS).
 * `countRegistryCalls`: the metrics service reaches the registry through a forwarder that records each call.
 */
export async function startTestMetrics(
  name: string,
  env: Record<string, string> = {},
  options: { countRegistryCalls?: boolean } = {},
): Promise<TestMetrics> {
  const dir = mkdtempSync(path.join(tmpdir(), `metrics-${name}-`));
  const secret = randomUUID() + randomUUID();
  const log = createLogger(`metrics-${name}-test`, { logLevel: 'silent', logFormat: 'json' });
  let pg: EmbeddedPostgres | undefined;
  let prisma: PrismaClient | undefined;
  let registry: { url: string; stop(): Promise<void> } | undefined;
  let metrics: RunningMetrics | undefined;
  let proxy: CountingProxy | undefined;
  const stop = async () => {
    await metrics?.stop();
    await proxy?.stop();
    await prisma?.$disconnect();
    await registry?.stop();
    await pg?.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    pg = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg') });
    const databaseUrl = new URL(pg.url);
    databaseUrl.pathname = '/lab';
    // The metrics port is chosen first so the registry's audit relay posts to this metrics service.
    const metricsPort = String(await freePort());
    const base = {
      LAB_DATA_DIR: dir,
      LAB_INTERNAL_SECRET: secret,
      LOG_LEVEL: 'silent',
      DATABASE_URL: databaseUrl.href,
      METRICS_PORT: metricsPort,
      METRICS_URL: `http://127.0.0.1:${metricsPort}/graphql`,
      ...env,
    };
    registry = await startRegistry(loadConfig({ ...base, REGISTRY_PORT: '0' }), log);
    prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: databaseUrl.href }) });
    if (options.countRegistryCalls) proxy = await startCountingProxy(registry.url);
    const config = loadConfig({ ...base, REGISTRY_URL: `${proxy?.origin ?? registry.url}/graphql` });
    metrics = await startMetrics(config, log);
    const db = prisma;
    const [e, v, s] = await Promise.all(
      ['editor', 'viewer', 'stranger'].map((who) => db.user.create({ data: { email: `${who}@lab.test`, name: who } })),
    );
    const user = (id: string | undefined): Caller => ({ id: id as string, kind: 'user', scopes: ['*'] });
    const editor = user(e?.id);
    const project = await db.project.create({ data: { name: 'metrics', createdById: editor.id } });
    await db.projectMember.createMany({
      data: [
        { projectId: project.id, userId: editor.id, role: 'EDITOR' },
        { projectId: project.id, userId: v?.id as string, role: 'VIEWER' },
      ],
    });
    const experiment = await db.experiment.create({ data: { projectId: project.id, name: 'exp', ownerId: editor.id } });
    const url = `${metrics.url}/graphql`;
    return {
      metrics,
      config,
      prisma: db,
      registryUrl: `${registry.url}/graphql`,
      registryCalls: proxy?.calls ?? [],
      secret,
      editor,
      viewer: user(v?.id),
      stranger: user(s?.id),
      experimentId: experiment.id,
      async newRun(runName) {
        const run = await db.run.create({ data: { experimentId: experiment.id, name: runName, createdById: editor.id } });
        return run.id;
      },
      async gql(caller, query, variables = {}) {
        const res = await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            [CONTEXT_HEADER]: signContext(secret, { requestId: randomUUID(), caller, query }),
          },
          body: JSON.stringify({ query, variables }),
        });
        return (await res.json()) as GqlResult;
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
