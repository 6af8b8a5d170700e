import net from 'node:net';

/**
 * Listening ports are picked below Linux's default ephemeral range (32768 and
 * up): a port the OS once handed out for "port 0" can be taken meanwhile as
 * the local end of any outgoing connection (tests make thousands), and the
 * service that was to listen on it then fails with EADDRINUSE.
 */
const LOW = 20_000;
const HIGH = 32_767;
const TRIES = 50;
/** Ports this process handed out already, so two services of one platform never get the same one. */
const handedOut = new Set<number>();

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function osPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** A TCP port free on 127.0.0.1 right now, outside the ephemeral range when one can be found there. */
export async function freePort(): Promise<number> {
  for (let i = 0; i < TRIES; i++) {
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW + 1));
    if (handedOut.has(port) || !(await canListen(port))) continue;
    handedOut.add(port);
    return port;
  }
  return osPort();
}

/** Whether something already listens on host:port. */
export function isPortInUse(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** The platform's port settings, each 0: every service and embedded store listens where a free port is found. */
export const FREE_PORTS_ENV = {
  GATEWAY_PORT: '0',
  REGISTRY_PORT: '0',
  METRICS_PORT: '0',
  ARTIFACTS_PORT: '0',
  LAB_POSTGRES_PORT: '0',
  LAB_S3_PORT: '0',
} as const;
