/**
 * The artifacts service: opens the store (S3 at S3_ENDPOINT: MinIO, S3, or the
 * embedded s3rver), makes sure the bucket exists, serves the subgraph and the
 * registry's internal routes (internal/internalRoutes.ts), and sweeps
 * abandoned multipart uploads every ARTIFACTS_SWEEP_INTERVAL_MINUTES.
 * main.ts runs it as a process.
 */
import { type Config, checkStoreConfig, type Logger, type StopSchedule } from '@lab/shared';
import { requireInternalSecret, startSubgraph } from '@lab/shared/subgraph';
import { type ArtifactsContext, createArtifactsRequest } from './context';
import { mountInternalRoutes } from './internal/internalRoutes';
import { createResolvers } from './resolvers';
import { typeDefs } from './schema';
import { type ArtifactsStore, openArtifactsStore } from './store/artifactsStore';
import type { CopyLimits } from './store/copyStore';

export interface RunningArtifacts {
  url: string;
  store: ArtifactsStore;
  /** Stops within the schedule (default: the 10 s bound; docs/operations/stopping.md). */
  stop(schedule?: StopSchedule): Promise<void>;
}

function startSweeper(store: ArtifactsStore, intervalMs: number, log: Logger): () => void {
  if (intervalMs <= 0) return () => {};
  let running = false;
  const timer = setInterval(async () => {
    if (running) return;
    running = true;
    try {
      const result = await store.uploads.sweep();
      if (result.aborted > 0) log.info(result, 'aborted abandoned multipart uploads');
    } catch (err) {
      log.warn({ err }, 'sweep of abandoned multipart uploads failed; next try at the next interval');
    } finally {
      running = false;
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

export interface ArtifactsOptions {
  /** Where copies switch to UploadPartCopy, and its part size (default 5 GiB and 512 MiB; tests set them low). */
  copyLimits?: CopyLimits;
}

export async function startArtifacts(config: Config, log: Logger, options: ArtifactsOptions = {}): Promise<RunningArtifacts> {
  const internalSecret = requireInternalSecret(config, 'artifacts');
  checkStoreConfig(config, 's3');
  const store = await openArtifactsStore(config, log, options.copyLimits);
  const registryUrl = config.subgraphUrls.registry;
  const settings = {
    internalSecret,
    multipartThresholdBytes: config.artifacts.multipartThresholdBytes,
    partSizeBytes: config.artifacts.partSizeBytes,
  };
  const stopSweeper = startSweeper(store, config.artifacts.sweepIntervalMs, log);
  const running = await startSubgraph<ArtifactsContext>(
    {
      name: 'artifacts',
      typeDefs,
      resolvers: createResolvers(store),
      log,
      internalSecret,
      context: (base) => ({ ...base, artifacts: createArtifactsRequest(base, { store, settings, registryUrl }) }),
      routes: (app) => mountInternalRoutes(app, { store, internalSecret, log }),
      health: { s3: (signal) => store.ping(signal) },
      onClose: () => {
        stopSweeper();
        store.close();
      },
    },
    config.ports.artifacts,
    config.host,
  );
  return { url: running.url, store, stop: running.close };
}
