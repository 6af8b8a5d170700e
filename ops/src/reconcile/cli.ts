/**
 * npm run reconcile [-- --repair] [--grace-hours N] [--json]
 *
 * Compares the registry's PostgreSQL with the running platform's artifacts
 * and metrics services and prints what a fault left behind
 * (docs/operations/reconciliation.md); with --repair, repairs it. Exit status: 0 nothing found
 * (or everything found repaired), 1 findings remain, 2 the run failed (a
 * store unreachable, a bad flag).
 *
 * With LAB_INTERNAL_SECRET it talks to PostgreSQL (DATABASE_URL, else the
 * embedded server of a running `npm start`) and to the services
 * (METRICS_URL/ARTIFACTS_URL or their ports) itself; without it, it asks the
 * running registry through the gateway as the admin (viaGateway.ts).
 */
import { parseArgs } from 'node:util';
import { reconcileFromDatabase } from '@lab/registry/reconcile';
import { type Config, createLogger, type Logger, loadConfigOrExit } from '@lab/shared';
import { InternalCallError } from '@lab/shared/internal';
import { databaseUrlOf } from '../databaseUrl';
import { formatTable, type ReportJson, toJson } from './format';
import { reconcileViaGateway } from './viaGateway';

const USAGE = 'usage: npm run reconcile [-- --repair] [--grace-hours N] [--json]';
const MAX_GRACE_HOURS = 720;

class UsageError extends Error {}

interface Flags {
  repair: boolean;
  graceHours: number | undefined;
  json: boolean;
}

function parseFlags(): Flags {
  const { values } = parseArgs({
    options: {
      repair: { type: 'boolean', default: false },
      'grace-hours': { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const raw = values['grace-hours'];
  const graceHours = raw === undefined ? undefined : Number(raw);
  if (graceHours !== undefined && !(Number.isFinite(graceHours) && graceHours >= 0 && graceHours <= MAX_GRACE_HOURS)) {
    throw new UsageError(`--grace-hours must be a number of hours from 0 to ${MAX_GRACE_HOURS}`);
  }
  return { repair: values.repair ?? false, graceHours, json: values.json ?? false };
}

/** Reconciles from this process: PostgreSQL directly, the services through their internal routes. */
async function reconcileDirectly(config: Config, internalSecret: string, flags: Flags, log: Logger): Promise<ReportJson> {
  const report = await reconcileFromDatabase({
    databaseUrl: databaseUrlOf(config),
    artifactsUrl: config.subgraphUrls.artifacts,
    metricsUrl: config.subgraphUrls.metrics,
    internalSecret,
    graceMs: flags.graceHours === undefined ? config.reconcile.graceMs : flags.graceHours * 3_600_000,
    repair: flags.repair,
    log,
  });
  return toJson(report);
}

function isUsageError(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) || err instanceof UsageError;
}

async function main(): Promise<number> {
  const config = loadConfigOrExit();
  const log = createLogger('reconcile', { ...config, logLevel: config.logLevel === 'info' ? 'warn' : config.logLevel });
  try {
    const flags = parseFlags();
    const report = config.internalSecret
      ? await reconcileDirectly(config, config.internalSecret, flags, log)
      : await reconcileViaGateway(config, flags);
    process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : formatTable(report));
    return report.remaining === 0 ? 0 : 1;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const hint = err instanceof InternalCallError ? ' (is the platform running? `npm start`)' : '';
    process.stderr.write(`reconcile failed: ${message}${hint}\n`);
    if (isUsageError(err)) process.stderr.write(`${USAGE}\n`);
    return 2;
  }
}

process.exit(await main());
