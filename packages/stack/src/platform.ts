/**
 * Starts the whole platform: the embedded stores it needs (PostgreSQL, S3; the
 * metrics subgraph embeds ClickHouse itself), then the three subgraphs, then
 * the gateway, each a supervised process. `npm start`, the end-to-end tests and
 * the benchmarks all start it through here.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { type Config, ConfigError, createLogger, type Logger, loadConfig, SUBGRAPH_NAMES, type SubgraphName } from '@lab/shared';
import { type EmbeddedPostgres, startEmbeddedPostgres, stopOrphanPostgres } from './embedded/postgres';
import { type EmbeddedS3, type S3Credentials, startEmbeddedS3 } from './embedded/s3';
import { type DataDirLock, lockDataDir } from './lock';
import { freePort, isPortInUse } from './ports';
import { newSecret, storedAdminKey } from './secrets';
import { type ServiceOutput, ServiceProcess } from './service';

export const REPO_ROOT = path.resolve(import.meta.dirname, '../../..');
export type ServiceName = SubgraphName | 'gateway';

/** Each service's entry point, relative to the repository. */
export const ENTRIES: Record<ServiceName, string> = {
  registry: 'subgraphs/registry/src/main.ts',
  metrics: 'subgraphs/metrics/src/main.ts',
  artifacts: 'subgraphs/artifacts/src/main.ts',
  gateway: 'gateway/src/main.ts',
};
/** Services stopped together, wave after wave (Platform.stop). */
const STOP_ORDER: ServiceName[][] = [['gateway'], ['registry'], ['metrics', 'artifacts']];
/** The database the registry uses on the embedded server. */
export const EMBEDDED_DATABASE = 'lab';

export interface PlatformOptions {
  /** Environment of the platform (default process.env); validated like at any start. */
  env?: NodeJS.ProcessEnv;
  /** Where service output goes: the terminal, or one log file per service under a folder. */
  output?: ServiceOutput;
  log?: Logger;
}

export interface Platform {
  config: Config;
  /** e.g. http://127.0.0.1:4000 */
  gatewayUrl: string;
  graphqlUrl: string;
  healthUrl: string;
  adminApiKey: string;
  /** Set when the admin key was generated and stored in the data folder. */
  adminApiKeyFile: string | undefined;
  stores: { postgres?: EmbeddedPostgres; s3?: EmbeddedS3 };
  services: Record<ServiceName, ServiceProcess>;
  /** The environment the services run with (store URLs, ports, secrets). */
  serviceEnv: NodeJS.ProcessEnv;
  /**
   * Stops gracefully (docs/operations/stopping.md): the gateway first, so that it drains against running
   * subgraphs; then the registry, whose audit relay ships to metrics; then metrics and artifacts;
   * then the embedded stores.
   */
  stop(): Promise<void>;
  /** During a stop: services still running exit without draining (a second Ctrl-C). */
  hurry(): void;
}

async function concretePort(port: number, variable: string): Promise<number> {
  if (port === 0) return freePort();
  if (await isPortInUse(port)) {
    throw new Error(`Port ${port} is already in use; set ${variable} to a free port (0 picks one).`);
  }
  return port;
}

/** The S3 key pair set in the configuration (the embedded server then accepts it instead of its stored one). */
function configuredS3Keys(config: Config): S3Credentials | undefined {
  const { accessKeyId, secretAccessKey } = config.s3;
  return accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : undefined;
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export async function startPlatform(options: PlatformOptions = {}): Promise<Platform> {
  const env = options.env ?? process.env;
  const config = loadConfig(env);
  const log = options.log ?? createLogger('platform', config);
  mkdirSync(config.dataDir, { recursive: true });
  const lock: DataDirLock = lockDataDir(config.dataDir);
  const stores: Platform['stores'] = {};
  const started: ServiceProcess[] = [];
  const output = options.output ?? { logDir: path.join(config.dataDir, 'logs') };

  const stop = async () => {
    for (const wave of STOP_ORDER) {
      await Promise.allSettled(started.filter((s) => wave.includes(s.spec.name as ServiceName)).map((s) => s.stop()));
    }
    await Promise.allSettled(started.map((s) => s.closeLog()));
    await Promise.allSettled([stores.s3?.stop(), stores.postgres?.stop()]);
    lock.release();
  };

  try {
    const missing = [
      !config.postgres.url && 'DATABASE_URL',
      !config.s3.endpoint && 'S3_ENDPOINT',
      !config.clickhouse.url && 'CLICKHOUSE_URL',
    ].filter(Boolean);
    if (!config.embeddedStores && missing.length > 0) {
      throw new ConfigError([
        `LAB_EMBEDDED_STORES=false but ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} not set: set ${missing.length > 1 ? 'them' : 'it'} to the address of a real server`,
      ]);
    }

    const ports = {
      registry: await concretePort(config.ports.registry, 'REGISTRY_PORT'),
      metrics: await concretePort(config.ports.metrics, 'METRICS_PORT'),
      artifacts: await concretePort(config.ports.artifacts, 'ARTIFACTS_PORT'),
      gateway: await concretePort(config.ports.gateway, 'GATEWAY_PORT'),
    };

    const [postgres, s3] = await Promise.all([
      config.postgres.url
        ? undefined
        : stopOrphanPostgres(path.join(config.dataDir, 'postgres'), log)
            .then(() => concretePort(config.ports.postgres, 'LAB_POSTGRES_PORT'))
            .then((port) => startEmbeddedPostgres({ dataDir: path.join(config.dataDir, 'postgres'), port, log })),
      config.s3.endpoint
        ? undefined
        : concretePort(config.ports.s3, 'LAB_S3_PORT').then((port) =>
            startEmbeddedS3({ dataDir: path.join(config.dataDir, 's3'), port, log, credentials: configuredS3Keys(config) }),
          ),
    ]);
    if (postgres) stores.postgres = postgres;
    if (s3) stores.s3 = s3;

    const admin = config.adminApiKey ? { key: config.adminApiKey, file: undefined } : storedAdminKey(config.dataDir);
    const serviceEnv: NodeJS.ProcessEnv = {
      ...env,
      LAB_DATA_DIR: config.dataDir,
      LAB_INTERNAL_SECRET: config.internalSecret ?? newSecret(),
      LAB_ADMIN_API_KEY: admin.key,
      REGISTRY_PORT: String(ports.registry),
      METRICS_PORT: String(ports.metrics),
      ARTIFACTS_PORT: String(ports.artifacts),
      GATEWAY_PORT: String(ports.gateway),
      ...(postgres ? { DATABASE_URL: withDatabase(postgres.url, EMBEDDED_DATABASE) } : {}),
      ...(s3 ? s3.env : {}),
    };

    const service = (name: ServiceName, extraEnv: NodeJS.ProcessEnv = {}) => {
      const proc = new ServiceProcess(
        {
          name,
          entry: path.join(REPO_ROOT, ENTRIES[name]),
          env: { ...serviceEnv, ...extraEnv },
          output,
          stopGraceMs: config.stopTimeoutMs + 5000,
        },
        log,
      );
      started.push(proc);
      return proc;
    };
    const subgraphs = SUBGRAPH_NAMES.map((name) => service(name));
    const subgraphUrls = await Promise.all(subgraphs.map((s) => s.start()));
    const gateway = service('gateway', {
      REGISTRY_URL: `${subgraphUrls[0]}/graphql`,
      METRICS_URL: `${subgraphUrls[1]}/graphql`,
      ARTIFACTS_URL: `${subgraphUrls[2]}/graphql`,
    });
    const gatewayUrl = await gateway.start();
    log.debug({ ports }, 'platform started');

    return {
      config,
      gatewayUrl,
      graphqlUrl: `${gatewayUrl}/graphql`,
      healthUrl: `${gatewayUrl}/health`,
      adminApiKey: admin.key,
      adminApiKeyFile: admin.file,
      stores,
      services: Object.fromEntries(started.map((s) => [s.spec.name, s])) as Record<ServiceName, ServiceProcess>,
      serviceEnv,
      stop,
      hurry: () => {
        for (const s of started) s.hurry();
      },
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
