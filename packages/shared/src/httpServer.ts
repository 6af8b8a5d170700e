/** Listening HTTP servers and the life of a service process: its start, its stop on a signal, its exit. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { ConfigError } from './config';
import { trackRequests } from './httpDrain';
import { DEFAULT_STOP_TIMEOUT_MS, msUntil, type StopSchedule, stopSchedule } from './stopSchedule';
import { StopSignals } from './stopSignals';

export interface RunningServer {
  server: http.Server;
  port: number;
  url: string;
  /**
   * Stops listening and lets requests in flight finish (httpDrain.ts); closes what is still open at the
   * schedule's closeMs (default: the 10 s bound, stopSchedule.ts).
   */
  close(schedule?: StopSchedule): Promise<void>;
}

/** Listens on host:port (0 = any free port) and resolves once bound. */
export async function listen(handler: http.RequestListener | http.Server, port: number, host: string): Promise<RunningServer> {
  const server = handler instanceof http.Server ? handler : http.createServer(handler);
  server.keepAliveTimeout = 65_000;
  const requests = trackRequests(server);
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
    close: (schedule = stopSchedule()) => requests.drain(msUntil(schedule, schedule.closeMs)),
  };
}

export interface RunServiceOptions {
  /** How long a stop may take (config.stopTimeoutMs, LAB_STOP_TIMEOUT_SECONDS); default 10 s. */
  stopTimeoutMs?: number;
}

/**
 * Runs a service's main: logs fatal errors instead of dying silently (a configuration error exits 78
 * with its message), and on SIGINT/SIGTERM stops gracefully within the bound (stopSchedule.ts), then
 * exits 0. The same stop signalled again within a second is ignored (stopSignals.ts); a deliberate
 * signal after that exits at once. A stop that overruns its bound by a second exits 1.
 */
export function runService(
  log: Logger,
  main: () => Promise<{ stop(schedule?: StopSchedule): Promise<void> }>,
  options: RunServiceOptions = {},
): void {
  const stopTimeoutMs = options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS;
  const signals = new StopSignals();
  let schedule: StopSchedule | undefined;
  let stop: ((schedule?: StopSchedule) => Promise<void>) | undefined;
  const stopAndExit = (current: StopSchedule) => {
    (stop ? stop(current) : Promise.resolve())
      .then(() => {
        log.info({ durationMs: Date.now() - current.startedAt }, 'stopped');
        process.exit(0);
      })
      .catch((err) => {
        log.error({ err }, 'error while shutting down');
        process.exit(1);
      });
  };
  const shutdown = (signal: string) => {
    const verdict = signals.receive();
    if (verdict === 'repeat') return log.debug({ signal }, 'the same stop signalled again; still stopping');
    if (verdict === 'again') {
      log.warn({ signal }, 'second signal, exiting now');
      process.exit(1);
    }
    schedule = stopSchedule(stopTimeoutMs);
    log.info({ signal, boundMs: stopTimeoutMs }, 'shutting down');
    setTimeout(() => {
      log.error({ boundMs: stopTimeoutMs }, 'the stop overran its bound; exiting');
      process.exit(1);
    }, stopTimeoutMs + 1000);
    if (stop) stopAndExit(schedule); // else once main has started (below)
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  // Spawned by a launcher with an IPC channel: stop when the launcher is gone (a stop under way goes on).
  if (process.connected) process.on('disconnect', () => signals.stopping || shutdown('launcher exited'));
  process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled rejection'));
  main()
    .then((running) => {
      stop = running.stop;
      // A signal during the start: stop now that there is something to stop.
      if (schedule) stopAndExit(schedule);
    })
    .catch((err) => {
      // A configuration the service refuses (e.g. no store address, checkStoreConfig): the message names the variable.
      if (err instanceof ConfigError) {
        process.stderr.write(`${err.message}\n`);
        setTimeout(() => process.exit(78), 50); // EX_CONFIG, as loadConfigOrExit
        return;
      }
      log.fatal({ err }, 'failed to start');
      setTimeout(() => process.exit(1), 50);
    });
}
