/**
 * Stops an HTTP server without cutting what it accepted. Node's own server.close() closes idle
 * keep-alive connections at once, and a client that writes its next request on one at that moment
 * gets a reset instead of an answer. Here, once draining:
 *  - the server stops listening (new connections are refused: a clean, retryable failure);
 *  - every response not yet started, and every request still arriving on an open connection, is
 *    answered with `Connection: close`, so a client moves to a new connection, which is refused;
 *  - idle connections are closed once no request has been in progress for IDLE_QUIET_MS: a busy client
 *    is still moving its requests onto the idle connections of its pool right after an answer, and
 *    closing one then would reset the request written on it;
 *  - whatever is still open at `closeAfterMs` (slow requests, WebSockets) is destroyed.
 */
import type http from 'node:http';
import net from 'node:net';

export const IDLE_QUIET_MS = 500;

export interface HttpDrain {
  /** Requests being answered now. */
  readonly inFlight: number;
  /** Drains as above; resolves when every connection is closed. */
  drain(closeAfterMs: number): Promise<void>;
}

export function trackRequests(server: http.Server): HttpDrain {
  /** Every accepted socket, upgraded ones (WebSockets) included. */
  const sockets = new Set<net.Socket>();
  const live = new Set<http.ServerResponse>();
  let draining = false;
  let quiet: NodeJS.Timeout | undefined;
  const closeIdleWhenQuiet = () => {
    clearTimeout(quiet);
    quiet = setTimeout(() => {
      if (live.size === 0) server.closeIdleConnections();
    }, IDLE_QUIET_MS);
  };

  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.prependListener('request', (_req, res: http.ServerResponse) => {
    if (draining) res.shouldKeepAlive = false;
    live.add(res);
    res.once('close', () => {
      live.delete(res);
      if (draining && live.size === 0) closeIdleWhenQuiet();
    });
  });

  return {
    get inFlight() {
      return live.size;
    },
    drain(closeAfterMs) {
      draining = true;
      for (const res of live) if (!res.headersSent) res.shouldKeepAlive = false;
      // net.Server's close, not http.Server's: it stops listening and leaves idle connections to the rule above.
      const closed = new Promise<void>((resolve) => net.Server.prototype.close.call(server, () => resolve()));
      if (live.size === 0) closeIdleWhenQuiet();
      const timer = setTimeout(() => {
        for (const socket of sockets) socket.destroy();
      }, closeAfterMs);
      return closed.finally(() => {
        clearTimeout(timer);
        clearTimeout(quiet);
      });
    },
  };
}
