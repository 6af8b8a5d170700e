/**
 * `npm start`: the whole platform on this machine, on embedded stores unless
 * DATABASE_URL, CLICKHOUSE_URL or S3_ENDPOINT point at real servers.
 * Ctrl-C stops every process and store cleanly.
 */
import path from 'node:path';
import { ConfigError, createLogger, loadConfig, StopSignals } from '@lab/shared';
import { AlreadyRunningError } from '../lock';
import { type Platform, startPlatform } from '../platform';

const env = { ...process.env };
if (!env.LOG_FORMAT && process.stdout.isTTY) env.LOG_FORMAT = 'pretty';

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig(env);
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(78);
  }
  throw err;
}
const log = createLogger('platform', config);

function banner(platform: Platform): string {
  const where = (url: string | undefined, embedded: string) => url ?? embedded;
  const rel = (file: string) => path.relative(process.cwd(), file) || file;
  const c = platform.config;
  return [
    '',
    '  Lab Data Platform is up',
    '',
    `  Web app    ${platform.gatewayUrl}/`,
    `  GraphiQL   ${platform.graphqlUrl}`,
    `  GraphQL    POST ${platform.graphqlUrl}`,
    `  Health     ${platform.healthUrl}`,
    '',
    `  PostgreSQL ${platform.stores.postgres ? `embedded, ${rel(path.join(c.dataDir, 'postgres'))}` : where(c.postgres.url && new URL(c.postgres.url).host, '')}`,
    `  ClickHouse ${c.clickhouse.url ? new URL(c.clickhouse.url).host : `embedded (chdb), ${rel(c.clickhouse.embeddedPath)}`}`,
    `  S3         ${platform.stores.s3 ? `embedded, ${rel(path.join(c.dataDir, 's3'))}` : where(c.s3.endpoint, '')} bucket ${c.s3.bucket}`,
    '',
    platform.adminApiKeyFile
      ? `  Admin API key: stored in ${rel(platform.adminApiKeyFile)}; send it as "Authorization: Bearer <key>"`
      : '  Admin API key: LAB_ADMIN_API_KEY; send it as "Authorization: Bearer <key>"',
    '  Press Ctrl-C to stop.',
    '',
  ].join('\n');
}

async function main() {
  let platform: Platform;
  try {
    platform = await startPlatform({ env, output: 'inherit', log });
  } catch (err) {
    if (err instanceof AlreadyRunningError || err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(err instanceof ConfigError ? 78 : 1);
    }
    log.fatal({ err }, 'the platform could not start');
    process.exit(1);
  }
  process.stdout.write(banner(platform));
  // A terminal's Ctrl-C reaches npm, tsx and this process (one process group), and npm and tsx forward
  // it again: the repeats are ignored. A Ctrl-C more than a second later makes the services exit at once.
  const signals = new StopSignals();
  let hurried = false;
  const shutdown = (signal: string) => {
    const verdict = signals.receive();
    if (verdict === 'repeat') return;
    if (verdict === 'again') {
      if (!hurried) log.warn({ signal }, 'second signal: the services exit without waiting for their work in flight');
      hurried = true;
      platform.hurry();
      return;
    }
    log.info({ signal }, 'stopping the platform');
    platform
      .stop()
      .then(() => {
        log.info('stopped');
        process.exit(0);
      })
      .catch((err) => {
        log.error({ err }, 'error while stopping');
        process.exit(1);
      });
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGHUP', () => shutdown('SIGHUP'));
}

void main();
