/**
 * The app's one GraphQL client (urql): queries and mutations over HTTP POST
 * /graphql, subscriptions over graphql-ws on the same path, both carrying
 * the credential as `Authorization: Bearer …` (in connection_init's payload
 * for the socket, as the gateway expects). The socket reconnects by itself;
 * onReconnect lets a page refill what it missed while it was down.
 */
import { Client, cacheExchange, fetchExchange, subscriptionExchange } from '@urql/core';
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';

export interface LabClient {
  urql: Client;
  ws: WsClient;
  /** Calls listener after each reconnection of the socket (not the first connection); returns an unsubscribe. */
  onReconnect(listener: () => void): () => void;
  dispose(): void;
}

export function socketUrl(location: Location = window.location): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`;
}

export function createLabClient(token: string, options: { url?: string; wsUrl?: string } = {}): LabClient {
  const authorization = `Bearer ${token}`;
  const listeners = new Set<() => void>();
  let connections = 0;
  const ws = createWsClient({
    url: options.wsUrl ?? socketUrl(),
    connectionParams: { Authorization: authorization },
    lazy: true,
    retryAttempts: Number.POSITIVE_INFINITY,
    shouldRetry: () => true,
    on: {
      connected: () => {
        connections += 1;
        if (connections > 1) for (const listener of listeners) listener();
      },
    },
  });
  const urql = new Client({
    url: options.url ?? '/graphql',
    preferGetMethod: false,
    requestPolicy: 'cache-and-network',
    fetchOptions: () => ({ headers: { Authorization: authorization } }),
    exchanges: [
      cacheExchange,
      fetchExchange,
      subscriptionExchange({
        forwardSubscription: (request) => {
          const input = { ...request, query: request.query ?? '' };
          return {
            subscribe: (sink) => ({ unsubscribe: ws.subscribe(input, sink) }),
          };
        },
      }),
    ],
  });
  return {
    urql,
    ws,
    onReconnect(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    dispose() {
      listeners.clear();
      void ws.dispose();
    },
  };
}
