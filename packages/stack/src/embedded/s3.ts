/**
 * Embedded S3: s3rver, an S3-compatible HTTP server on a local folder, run in
 * the launcher's process. It speaks the S3 API the AWS SDK uses (presigned and
 * multipart uploads included) but has no versioning or lifecycle and does not
 * check signatures; the artifacts subgraph detects and reports that at start.
 * Its ListObjectsV2 continuation tokens fail on Node 17+ and are replaced
 * (s3ListTokens.ts).
 */
import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Logger } from '@lab/shared';
import S3rver from 's3rver';
import { useListTokens } from './s3ListTokens';

export interface EmbeddedS3 {
  endpoint: string;
  port: number;
  stop(): Promise<void>;
}

export interface EmbeddedS3Options {
  /** Folder holding the buckets. */
  dataDir: string;
  /** 0 or undefined picks a free port. */
  port?: number;
  log?: Logger;
}

export async function startEmbeddedS3(options: EmbeddedS3Options): Promise<EmbeddedS3> {
  const directory = path.resolve(options.dataDir);
  mkdirSync(directory, { recursive: true });
  const server = new S3rver({ port: options.port ?? 0, address: '127.0.0.1', directory, silent: true });
  useListTokens(server);
  const { port } = (await server.run()) as AddressInfo;
  const httpServer = (server as unknown as { httpServer: Server }).httpServer;
  options.log?.info({ port }, 'embedded S3 ready');
  let stopped = false;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      httpServer.closeAllConnections?.();
      await server.close();
    },
  };
}
