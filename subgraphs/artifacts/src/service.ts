/**
 * The artifacts service: opens the store (S3 at S3_ENDPOINT: MinIO, S3, or the
 * embedded s3rver), makes sure the bucket exists, and serves the subgraph.
 * main.ts runs it as a process.
 */
import { type Config, type Logger, requireInternalSecret, startSubgraph } from '@lab/shared';
import { createResolvers } from './resolvers';
import { typeDefs } from './schema';
import { openArtifactsStore } from './store/artifactsStore';

export interface RunningArtifacts {
  url: string;
  stop(): Promise<void>;
}

export async function startArtifacts(config: Config, log: Logger): Promise<RunningArtifacts> {
  const internalSecret = requireInternalSecret(config, 'artifacts');
  const store = await openArtifactsStore(config, log);
  const running = await startSubgraph(
    {
      name: 'artifacts',
      typeDefs,
      resolvers: createResolvers(store),
      log,
      internalSecret,
      health: { s3: (signal) => store.ping(signal) },
      onClose: () => store.close(),
    },
    config.ports.artifacts,
    config.host,
  );
  return { url: running.url, stop: running.close };
}
