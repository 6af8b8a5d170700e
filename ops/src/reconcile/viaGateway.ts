/**
 * `npm run reconcile` without LAB_INTERNAL_SECRET (a plain `npm start` picks
 * a random one): the running registry reconciles, asked through the gateway's
 * Mutation.reconcile with the admin API key (LAB_ADMIN_API_KEY, else the key
 * `npm start` stored in LAB_DATA_DIR/admin-api-key).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '@lab/shared';
import type { ReportJson } from './format';

/** Where `npm start` keeps the bootstrap admin's key (packages/stack secrets.ts). */
const ADMIN_KEY_FILE = 'admin-api-key';

const RECONCILE = `mutation($repair: Boolean, $graceHours: Float) {
  reconcile(repair: $repair, graceHours: $graceHours) {
    startedAt finishedAt repair graceHours remaining
    findings { kind entityType entityId detail repaired }
    scanned { fileOwners unknownKeys metricRuns datasetVersions modelVersions activeOperations }
  }
}`;

export class ReconcileCliError extends Error {}

export function adminKeyOf(config: Config): string {
  if (config.adminApiKey) return config.adminApiKey;
  const file = path.join(config.dataDir, ADMIN_KEY_FILE);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  throw new ReconcileCliError(
    `LAB_INTERNAL_SECRET is not set, so the reconciliation goes through the gateway as an admin, but there is no admin key: set LAB_ADMIN_API_KEY (or run from the folder of the platform's ${path.relative(process.cwd(), file) || file})`,
  );
}

export function gatewayUrlOf(config: Config): string {
  const host = config.host === '0.0.0.0' ? '127.0.0.1' : config.host;
  return `http://${host}:${config.ports.gateway}/graphql`;
}

/** Asks the running registry to reconcile; its report, or a ReconcileCliError saying why not. */
export async function reconcileViaGateway(
  config: Config,
  request: { repair: boolean; graceHours: number | undefined },
): Promise<ReportJson> {
  const url = gatewayUrlOf(config);
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${adminKeyOf(config)}` },
      body: JSON.stringify({ query: RECONCILE, variables: { repair: request.repair, graceHours: request.graceHours ?? null } }),
      signal: AbortSignal.timeout(60 * 60_000),
    });
  } catch (err) {
    if (err instanceof ReconcileCliError) throw err;
    throw new ReconcileCliError(`the gateway at ${url} is unreachable: is the platform running (npm start)?`);
  }
  const body = (await response.json().catch(() => ({}))) as {
    data?: { reconcile?: ReportJson } | null;
    errors?: { message: string; extensions?: { code?: string } }[];
  };
  const report = body.data?.reconcile;
  if (report) return report;
  const error = body.errors?.[0];
  throw new ReconcileCliError(
    `the gateway at ${url} answered ${response.status}: ${error ? `${error.extensions?.code ?? 'ERROR'} ${error.message}` : 'no report'}`,
  );
}
