/**
 * The GraphQL context of a gateway request: who is calling, the request id
 * and its logger. Made by the HTTP route for /graphql (http/routes.ts) and by the
 * WebSocket server for each operation (subscriptions/), read by the plugins
 * (auth/, observability/) and by the data sources that sign it into every
 * subgraph request (execution/signedDataSource.ts).
 */
import type { Caller, Logger } from '@lab/shared';

export interface GatewayContext {
  requestId: string;
  caller: Caller;
  log: Logger;
  /** The client's Idempotency-Key header, when given (http/idempotencyKey.ts). */
  idempotencyKey?: string;
}
