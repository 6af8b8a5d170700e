/**
 * Embedded S3: s3rver, an S3-compatible server on a local folder, run in the
 * launcher's process behind a front (s3Front.ts) that is the only way in:
 * s3rver itself listens on no port. The front checks every request's AWS
 * SigV4 signature with the server's key pair (stored in its folder, or the
 * one configured) and refuses names that could leave the folder; s3rver's
 * store refuses them again (s3StoreGuard.ts). s3rver has no versioning or
 * lifecycle; the artifacts subgraph detects and reports that at start. Its
 * ListObjectsV2 continuation tokens fail on Node 17+ and are replaced
 * (s3ListTokens.ts).
 */
import { mkdirSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Logger } from '@lab/shared';
import S3rver from 's3rver';
import { embeddedS3Credentials } from './s3Credentials';
import { createS3Front } from './s3Front';
import { useListTokens } from './s3ListTokens';
import type { S3Credentials } from './s3Signature';
import { guardStore } from './s3StoreGuard';

export { readEmbeddedS3Credentials } from './s3Credentials';
export type { S3Credentials } from './s3Signature';

export interface EmbeddedS3 {
  endpoint: string;
  port: number;
  /** The key pair every request must be signed with. */
  credentials: S3Credentials;
  /** S3_ENDPOINT, S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY of this server, for a service's environment. */
  env: { S3_ENDPOINT: string; S3_ACCESS_KEY_ID: string; S3_SECRET_ACCESS_KEY: string };
  stop(): Promise<void>;
}

export interface EmbeddedS3Options {
  /** Folder holding the buckets (and the stored key pair). */
  dataDir: string;
  /** 0 or undefined picks a free port. */
  port?: number;
  /** The key pair to accept; default: the one stored in dataDir, made at the first start. */
  credentials?: S3Credentials | undefined;
  log?: Logger;
}

const SPOOL_DIR = '.incoming';

/** s3rver's accounts: it looks up the access key of each request it gets (signatures are checked by the front). */
const s3rverAccounts = createRequire(import.meta.url)('s3rver/lib/models/account') as {
  DUMMY_ACCOUNT: { createKeyPair(accessKeyId: string, secretAccessKey: string): void };
};

interface S3rverInternals {
  store: Parameters<typeof guardStore>[0];
  configureBuckets(): Promise<unknown>;
  callback(): Parameters<typeof createS3Front>[0]['forward'];
  logger: { close(): void };
}

export async function startEmbeddedS3(options: EmbeddedS3Options): Promise<EmbeddedS3> {
  const directory = path.resolve(options.dataDir);
  mkdirSync(directory, { recursive: true });
  const credentials = options.credentials ?? embeddedS3Credentials(directory);
  // vhostBuckets off: a bucket is only ever the first segment of the path.
  const s3rver = new S3rver({ directory, silent: true, vhostBuckets: false }) as unknown as S3rverInternals;
  useListTokens(s3rver);
  guardStore(s3rver.store);
  s3rverAccounts.DUMMY_ACCOUNT.createKeyPair(credentials.accessKeyId, credentials.secretAccessKey);
  await s3rver.configureBuckets();

  // Bodies held while they are checked; what a killed process left there is dropped. Not a bucket name: never listed.
  const spoolDir = path.join(directory, SPOOL_DIR);
  rmSync(spoolDir, { recursive: true, force: true });
  mkdirSync(spoolDir, { mode: 0o700 });
  const server: Server = createS3Front({ credentials, forward: s3rver.callback(), spoolDir, log: options.log });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    rmSync(spoolDir, { recursive: true, force: true });
    throw err;
  }
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  options.log?.info({ port }, 'embedded S3 ready');
  let stopped: Promise<void> | undefined;
  return {
    endpoint,
    port,
    credentials,
    env: { S3_ENDPOINT: endpoint, S3_ACCESS_KEY_ID: credentials.accessKeyId, S3_SECRET_ACCESS_KEY: credentials.secretAccessKey },
    stop: () => {
      stopped ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }).finally(() => {
        s3rver.logger.close();
        rmSync(spoolDir, { recursive: true, force: true });
      });
      return stopped;
    },
  };
}
