/**
 * The credentials of open WebSockets, kept honest for as long as a socket
 * lives. A socket holds the callers it authenticated (at connection_init, and
 * per operation for clients that send credentials with each operation, as
 * GraphiQL does). It is closed with 4403 (EXPIRED_OR_REVOKED in
 * authFailures.ts) the moment one of them expires (checked every
 * `checkIntervalMs`, 250 ms, against the clock), or when a
 * re-check of API keys (registryAuthenticator.ts) finds its key revoked or its
 * rights changed. Closing the socket ends its subscriptions: graphql-ws
 * returns them, and the upstream ones are released.
 */
import type { Caller, Logger } from '@lab/shared';
import { credentialExpired } from './authenticate';
import { closeWithAuthFailure } from './authFailures';
import type { KeyStates } from './registryAuthenticator';

/** How long a client has to answer the close frame before its connection is cut. */
const CLOSE_GRACE_MS = 2_000;

export interface ClosableSocket {
  readonly readyState: number;
  close(code: number, reason: string): void;
  terminate(): void;
}

export interface SocketCredentialsOptions {
  log: Logger;
  /** Milliseconds since the epoch (default Date.now); expiry is checked against it. */
  now?: () => number;
  /** How often open sockets are checked for expired credentials, in ms (default 250). */
  checkIntervalMs?: number;
  /** Keeps an API key re-checked while a socket holds it (RegistryAuthenticator.watch). */
  watch?: (apiKeyId: string) => () => void;
}

interface Held {
  caller: Caller;
  unwatch: () => void;
}

const rightsOf = (caller: Caller) => `${caller.id} ${caller.kind} ${[...caller.scopes].sort().join(' ')}`;

export class SocketCredentials {
  private readonly sockets = new Map<ClosableSocket, Map<string, Held>>();
  private readonly timer: NodeJS.Timeout;
  private readonly now: () => number;

  constructor(private readonly options: SocketCredentialsOptions) {
    this.now = options.now ?? Date.now;
    this.timer = setInterval(() => this.closeExpired(), options.checkIntervalMs ?? 250);
    this.timer.unref();
  }

  /** Open sockets holding credentials. */
  get size(): number {
    return this.sockets.size;
  }

  /** The socket holds `caller` in `slot` ("connection", or an operation id), in place of what the slot held. */
  hold(socket: ClosableSocket, slot: string, caller: Caller): void {
    const held = this.sockets.get(socket) ?? new Map<string, Held>();
    this.sockets.set(socket, held);
    held.get(slot)?.unwatch();
    const unwatch = caller.apiKeyId && this.options.watch ? this.options.watch(caller.apiKeyId) : () => {};
    held.set(slot, { caller, unwatch });
  }

  /** The slot's operation ended. */
  release(socket: ClosableSocket, slot: string): void {
    const held = this.sockets.get(socket);
    held?.get(slot)?.unwatch();
    held?.delete(slot);
  }

  /** The socket closed. */
  forget(socket: ClosableSocket): void {
    for (const { unwatch } of this.sockets.get(socket)?.values() ?? []) unwatch();
    this.sockets.delete(socket);
  }

  /** Closes the socket as EXPIRED_OR_REVOKED (4403) with the reason, e.g. its connection credentials no longer authenticate. */
  refuse(socket: ClosableSocket, reason: string): void {
    this.forget(socket);
    closeWithAuthFailure(socket, { kind: 'EXPIRED_OR_REVOKED', message: reason });
    setTimeout(() => {
      if (socket.readyState !== 3) socket.terminate(); // 3: CLOSED
    }, CLOSE_GRACE_MS).unref();
    this.options.log.info({ reason }, 'closed a WebSocket whose credentials no longer hold');
  }

  /** After API keys were re-checked: closes the sockets holding a key no longer live, or whose rights changed. */
  keysRechecked(states: KeyStates): void {
    for (const [socket, held] of this.sockets) {
      for (const { caller } of held.values()) {
        if (!caller.apiKeyId || !states.has(caller.apiKeyId)) continue;
        const current = states.get(caller.apiKeyId);
        if (!current) {
          this.refuse(socket, 'Forbidden: the API key was revoked');
          break;
        }
        if (rightsOf(current) !== rightsOf(caller)) {
          this.refuse(socket, "Forbidden: the API key's rights changed; connect again");
          break;
        }
      }
    }
  }

  /** Closes the sockets holding a credential that has expired. */
  closeExpired(): void {
    const now = this.now();
    for (const [socket, held] of this.sockets) {
      for (const { caller } of held.values()) {
        if (credentialExpired(caller, now)) {
          this.refuse(socket, 'Forbidden: the credentials expired');
          break;
        }
      }
    }
  }

  close(): void {
    clearInterval(this.timer);
  }
}
