/**
 * One Redis connection as every replica uses it (LAB_REDIS_URL): commands fail
 * at once while it is down instead of queueing (the caller falls back to its
 * in-process state), a command answered by nobody fails after
 * `commandTimeoutMs`, and it reconnects by itself (100 ms doubling to 2 s).
 * Going down and coming back are logged once each, not per command.
 */
import type { Logger } from '@lab/shared';
import { Redis } from 'ioredis';

export interface RedisConnectionOptions {
  /** redis:// or rediss:// URL (LAB_REDIS_URL). */
  url: string;
  /** What the connection serves, in its log lines and its client name (e.g. `gateway-limits`). */
  name: string;
  log: Logger;
  /** Milliseconds a command may take before it fails (default 1,000). */
  commandTimeoutMs?: number;
  /** A connection for SUBSCRIBE: its owner subscribes again after each reconnection (default false). */
  subscriber?: boolean;
}

export interface RedisConnection {
  readonly client: Redis;
  /** Whether commands can be sent now. */
  readonly ready: boolean;
  /** Calls `f(true)` each time the connection becomes ready, `f(false)` each time it is lost. */
  onChange(f: (ready: boolean) => void): void;
  /** Resolves once ready (true), or false after `timeoutMs`. */
  whenReady(timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
}

const retryDelay = (attempt: number) => Math.min(100 * 2 ** Math.min(attempt - 1, 5), 2000);

export function connectRedis(options: RedisConnectionOptions): RedisConnection {
  const { log, name } = options;
  const client = new Redis(options.url, {
    connectionName: `lab-${name}`,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: options.commandTimeoutMs ?? 1000,
    connectTimeout: 2000,
    retryStrategy: retryDelay,
    lazyConnect: false,
    autoResubscribe: !options.subscriber,
  });
  const listeners: ((ready: boolean) => void)[] = [];
  let ready = false;
  let everReady = false;
  let toldDown = false;
  const where = redactedUrl(options.url);
  const set = (now: boolean) => {
    if (now === ready) return;
    ready = now;
    for (const f of listeners) f(now);
  };
  client.on('ready', () => {
    if (toldDown || !everReady) log.info({ redis: where, connection: name }, 'Redis connected: state is shared across replicas');
    everReady = true;
    toldDown = false;
    set(true);
  });
  const down = (err: string) => {
    if (toldDown) return;
    toldDown = true;
    log.warn(
      { redis: where, connection: name, err },
      'Redis unreachable: falling back to this process alone until it is back (retrying)',
    );
  };
  client.on('close', () => {
    if (ready) down('connection closed');
    set(false);
  });
  client.on('error', (err: Error) => down(err.message));
  client.on('end', () => set(false));
  return {
    client,
    get ready() {
      return ready;
    },
    onChange(f) {
      listeners.push(f);
    },
    whenReady(timeoutMs) {
      if (ready) return Promise.resolve(true);
      return new Promise((resolve) => {
        const timer = setTimeout(() => resolve(false), timeoutMs);
        timer.unref();
        listeners.push((now) => {
          if (now) {
            clearTimeout(timer);
            resolve(true);
          }
        });
      });
    },
    async close() {
      listeners.length = 0;
      try {
        await client.quit();
      } catch {
        client.disconnect();
      }
    },
  };
}

/** The URL without its password, for logs. */
export function redactedUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'redis';
  }
}
