/**
 * The reconciler run from outside the service against a database URL (`npm run
 * reconcile` with LAB_INTERNAL_SECRET, ops/src/reconcile/cli.ts): a small store
 * on PostgreSQL, checked to answer first, the artifacts and metrics services
 * through their internal routes, closed after the run. Exported as
 * @lab/registry/reconcile with the report's types.
 */
import type { Logger } from '@lab/shared';
import { reconcile } from '../reconcile/reconciler';
import type { ReconciliationReport } from '../reconcile/report';
import { createStoreServices } from '../sagas/storeServices';
import { openRegistryStore } from '../store/registryStore';
import { redactUrl } from './databaseUrl';

export {
  type Finding,
  type FindingKind,
  type ReconciliationReport,
  remaining,
  type Scanned,
} from '../reconcile/report';

export interface DatabaseReconcileOptions {
  databaseUrl: string;
  artifactsUrl: string;
  metricsUrl: string;
  internalSecret: string;
  /** How old an orphan's newest file, or a PENDING version, must be before it is reported. */
  graceMs: number;
  repair: boolean;
  log: Logger;
}

/** Reconciles from this process; fails with a message naming the server when PostgreSQL does not answer. */
export async function reconcileFromDatabase(options: DatabaseReconcileOptions): Promise<ReconciliationReport> {
  const { databaseUrl, log } = options;
  const store = openRegistryStore(databaseUrl, { maxConnections: 2, log });
  try {
    await store.ping().catch((err: unknown) => {
      throw new Error(`PostgreSQL at ${redactUrl(databaseUrl)} is unreachable: ${(err as Error).message}`);
    });
    return await reconcile({
      store,
      services: createStoreServices({
        artifactsUrl: options.artifactsUrl,
        metricsUrl: options.metricsUrl,
        internalSecret: options.internalSecret,
        requestId: `reconcile-cli-${Date.now().toString(36)}`,
      }),
      graceMs: options.graceMs,
      repair: options.repair,
      log,
    });
  } finally {
    await store.close().catch(() => {});
  }
}
