/**
 * Subscriptions to subgraphs: one graphql-ws socket per subgraph, opened when
 * the first subscription needs it and closed when the last one ends, carrying
 * every caller's subscriptions. The socket is signed in connection_init (for
 * SUBSCRIPTION_CONNECTION_DOCUMENT, as the gateway service); each
 * subscription carries its caller's context signed for its document, made
 * fresh at every (re)subscription since a signature lives 60 seconds.
 *
 * A subscription that fails for a transport reason (the subgraph restarting,
 * unreachable) is reported to `onInterrupted` and tried again with backoff
 * (100 ms doubling to 5 s, with jitter) for as long as it is wanted; an error
 * the subgraph answers (NOT_FOUND, UNAUTHENTICATED...) ends it.
 */
import { randomUUID } from 'node:crypto';
import {
  type Caller,
  CONTEXT_HEADER,
  type Logger,
  REQUEST_ID_HEADER,
  SUBSCRIPTION_CONNECTION_DOCUMENT,
  type SubgraphName,
  signContext,
} from '@lab/shared';
import type { FormattedExecutionResult, GraphQLFormattedError } from 'graphql';
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';

export interface UpstreamRequest {
  service: SubgraphName;
  query: string;
  operationName: string | undefined;
  variables: Record<string, unknown>;
  caller: Caller;
  requestId: string;
}

export interface UpstreamSink {
  next(result: FormattedExecutionResult): void;
  /** The subgraph ended the subscription with errors; it is not retried. */
  error(errors: readonly GraphQLFormattedError[]): void;
  /** The subgraph completed the subscription. */
  complete(): void;
  /** The transport failed; events are lost until the next one arrives. */
  onInterrupted(reason: string): void;
  /** The first event after an interruption is about to be delivered. */
  onResumed(): void;
}

const BACKOFF_MIN_MS = 100;
const BACKOFF_MAX_MS = 5_000;

export class UpstreamSubscriptions {
  private readonly clients = new Map<SubgraphName, Client>();
  private open = 0;

  constructor(
    private readonly options: {
      urls: Record<SubgraphName, string>;
      secret: string;
      log: Logger;
    },
  ) {}

  /** Upstream subscriptions running (each shared by every client of one topic). */
  get active(): number {
    return this.open;
  }

  private client(service: SubgraphName): Client {
    let client = this.clients.get(service);
    if (!client) {
      const { secret } = this.options;
      client = createClient({
        url: this.options.urls[service].replace(/^http/, 'ws'),
        webSocketImpl: WebSocket,
        lazy: true,
        lazyCloseTimeout: 0,
        retryAttempts: 0,
        keepAlive: 10_000,
        connectionParams: () => ({
          [CONTEXT_HEADER]: signContext(secret, {
            requestId: randomUUID(),
            caller: { id: 'gateway', kind: 'service', scopes: ['*'] },
            query: SUBSCRIPTION_CONNECTION_DOCUMENT,
          }),
        }),
      });
      this.clients.set(service, client);
    }
    return client;
  }

  /** Starts a subscription; the returned function ends it. */
  subscribe(request: UpstreamRequest, sink: UpstreamSink): () => void {
    const log = this.options.log.child({ requestId: request.requestId, service: request.service });
    let stopped = false;
    let attempt = 0;
    let interrupted = false;
    let unsubscribe: (() => void) | undefined;
    let timer: NodeJS.Timeout | undefined;
    this.open++;

    const start = () => {
      if (stopped) return;
      const payload = {
        query: request.query,
        operationName: request.operationName,
        variables: request.variables,
        extensions: {
          [CONTEXT_HEADER]: signContext(this.options.secret, {
            requestId: request.requestId,
            caller: request.caller,
            query: request.query,
          }),
          [REQUEST_ID_HEADER]: request.requestId,
        },
      };
      unsubscribe = this.client(request.service).subscribe<Record<string, unknown>>(payload, {
        next: (result) => {
          if (interrupted) {
            interrupted = false;
            attempt = 0;
            log.info('subgraph subscription resumed');
            sink.onResumed();
          }
          sink.next(result as FormattedExecutionResult);
        },
        error: (err) => {
          if (stopped) return;
          if (Array.isArray(err)) {
            sink.error(err as GraphQLFormattedError[]);
            return;
          }
          const reason = transportReason(err);
          if (!interrupted) {
            interrupted = true;
            log.warn({ reason }, 'subgraph subscription interrupted; resubscribing');
            sink.onInterrupted(reason);
          }
          const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** attempt++) * (0.5 + Math.random() / 2);
          timer = setTimeout(start, delay);
        },
        complete: () => {
          if (!stopped) sink.complete();
        },
      });
    };
    start();

    return () => {
      if (stopped) return;
      stopped = true;
      this.open--;
      clearTimeout(timer);
      unsubscribe?.();
    };
  }

  async close(): Promise<void> {
    await Promise.all([...this.clients.values()].map((c) => c.dispose()));
    this.clients.clear();
  }
}

function transportReason(err: unknown): string {
  if (err && typeof err === 'object' && 'code' in err) {
    const { code, reason } = err as { code: number; reason?: string };
    return `socket closed (${code}${reason ? `: ${reason}` : ''})`;
  }
  return err instanceof Error ? err.message : 'socket error';
}
