import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';

export interface RunningServer {
  server: http.Server;
  port: number;
  url: string;
  close(): Promise<void>;
}

/** Listens on host:port (0 = any free port) and resolves once bound. */
export async function listen(handler: http.RequestListener | http.Server, port: number, host: string): Promise<RunningServer> {
  const server = handler instanceof http.Server ? handler : http.createServer(handler);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return {
    server,
    port: bound,
    url: `http://${shownHost}:${bound}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 2000).unref();
      }),
  };
}

/**
 * Runs a service's main: logs fatal errors instead of dying silently, and on
 * SIGINT/SIGTERM calls `stop` once, then exits. A second signal exits at once.
 */
export function runService(log: Logger, main: () => Promise<{ stop(): Promise<void> }>): void {
  let stopping = false;
  let stop: (() => Promise<void>) | undefined;
  const shutdown = (signal: string) => {
    if (stopping) {
      log.warn({ signal }, 'second signal, exiting now');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, 'shutting down');
    (stop ? stop() : Promise.resolve())
      .then(() => process.exit(0))
      .catch((err) => {
        log.error({ err }, 'error while shutting down');
        process.exit(1);
      });
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  // Spawned by a launcher with an IPC channel: exit when the launcher is gone.
  if (process.connected) process.on('disconnect', () => shutdown('launcher exited'));
  process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled rejection'));
  main()
    .then((running) => {
      stop = running.stop;
      if (stopping) running.stop().finally(() => process.exit(0));
    })
    .catch((err) => {
      log.fatal({ err }, 'failed to start');
      setTimeout(() => process.exit(1), 50);
    });
}
