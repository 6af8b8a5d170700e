/**
 * The registry service: brings the PostgreSQL schema up to date (creating the
 * database if needed), opens the store, makes sure the bootstrap admin exists
 * when LAB_ADMIN_API_KEY is set, and serves the subgraph. main.ts runs it as a process.
 */
import path from 'node:path';
import { AUDIT_PATH, type Config, checkStoreConfig, type Logger, msUntil, type StopSchedule } from '@lab/shared';
import { requireInternalSecret, startSubgraph } from '@lab/shared/subgraph';
import { AuditRelay } from './audit/auditRelay';
import { createContext, type RegistryContext } from './context';
import { RECONCILE_LOCK, whileHolding } from './db/advisoryLock';
import { redactUrl } from './db/databaseUrl';
import { migrate } from './db/migrate';
import { mountRunsExport } from './export/runsExportRoute';
import { ReconcileRunner } from './reconcile/schedule';
import { createResolvers } from './resolvers';
import { SAGA_DEFINITIONS } from './sagas/definitions';
import { SagaOrchestrator } from './sagas/orchestrator';
import { createStoreServices } from './sagas/storeServices';
import { typeDefs } from './schema';
import { openRegistryStore } from './store/registryStore';

export interface RunningRegistry {
  url: string;
  /** Ships the audit outbox to the metrics subgraph. */
  relay: AuditRelay;
  /** Runs the cross-store sagas. */
  orchestrator: SagaOrchestrator;
  /** Compares the stores on demand and every LAB_RECONCILE_INTERVAL_MINUTES. */
  reconciler: ReconcileRunner;
  /** Stops within the schedule (default: the 10 s bound; docs/operations/stopping.md). */
  stop(schedule?: StopSchedule): Promise<void>;
}

export async function startRegistry(config: Config, log: Logger): Promise<RunningRegistry> {
  checkStoreConfig(config, 'postgresql');
  const databaseUrl = config.postgres.url as string;
  const internalSecret = requireInternalSecret(config, 'registry');
  log.info({ database: redactUrl(databaseUrl) }, 'migrating PostgreSQL');
  await migrate(databaseUrl, log);
  const store = openRegistryStore(databaseUrl, { log });
  if (config.adminApiKey) {
    try {
      const admin = await store.identity.upsertBootstrapAdmin();
      log.info({ userId: admin.id }, 'bootstrap admin user ready');
    } catch (err) {
      await store.close().catch(() => {});
      throw err;
    }
  }
  const relay = new AuditRelay({
    store: store.outbox,
    url: new URL(AUDIT_PATH, config.subgraphUrls.metrics).toString(),
    internalSecret,
    log: log.child({ component: 'audit-relay' }),
    retentionMs: config.audit.outboxRetentionMs,
  });
  const orchestrator = new SagaOrchestrator({
    sagas: store.sagas,
    store,
    definitions: SAGA_DEFINITIONS,
    artifactsUrl: config.subgraphUrls.artifacts,
    metricsUrl: config.subgraphUrls.metrics,
    internalSecret,
    log: log.child({ component: 'sagas' }),
    leaseMs: config.sagas.leaseMs,
    waitMs: config.sagas.waitMs,
    faults: config.sagas.faults,
    faultMarkerDir: path.join(config.dataDir, 'saga-faults'),
  });
  const storeUrls = { artifactsUrl: config.subgraphUrls.artifacts, metricsUrl: config.subgraphUrls.metrics };
  const reconciler = new ReconcileRunner({
    store,
    artifactsUrl: config.subgraphUrls.artifacts,
    metricsUrl: config.subgraphUrls.metrics,
    internalSecret,
    log: log.child({ component: 'reconciler' }),
    graceMs: config.reconcile.graceMs,
    // One registry replica at a time runs the scheduled reconciliation.
    exclusive: (work) => whileHolding(databaseUrl, RECONCILE_LOCK, work),
  });
  // Expired idempotency keys, deleted hourly (a key reused after expiry is taken over anyway).
  const pruneKeys = setInterval(() => {
    store.pruneIdempotencyKeys().catch((err: unknown) => log.warn({ err }, 'pruning expired idempotency keys failed'));
  }, 3600 * 1000).unref();
  const running = await startSubgraph<RegistryContext>(
    {
      name: 'registry',
      typeDefs,
      resolvers: createResolvers(),
      log,
      internalSecret,
      context: createContext(store, {
        idempotencyTtlMs: config.idempotency.keyTtlMs,
        orchestrator,
        reconciler,
        services: (requestId) => createStoreServices({ ...storeUrls, internalSecret, requestId }),
      }),
      routes: (app) =>
        mountRunsExport(app, {
          store,
          internalSecret,
          log,
          services: (requestId) => createStoreServices({ ...storeUrls, internalSecret, requestId }),
        }),
      health: {
        // Up when PostgreSQL answers; the details show what waits on the other stores.
        postgresql: async (signal) => {
          await store.ping(signal);
          const [auditOutbox, operations] = await Promise.all([store.outbox.backlog(), store.sagas.activity()]);
          return { auditOutbox, operations };
        },
      },
      onClose: async (schedule) => {
        clearInterval(pruneKeys);
        await reconciler.stop();
        await orchestrator.stop();
        // What waits in the outbox goes to the metrics subgraph now (it stops after the registry), within the bound.
        await relay.stop(schedule ? msUntil(schedule, schedule.totalMs) - 500 : 0);
        await store.close();
      },
    },
    config.ports.registry,
    config.host,
  );
  relay.start();
  orchestrator.start();
  reconciler.start(config.reconcile.intervalMs, config.reconcile.repair);
  return { url: running.url, relay, orchestrator, reconciler, stop: running.close };
}
