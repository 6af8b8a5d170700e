/**
 * What every resolver of every subgraph receives: the request id, the caller
 * the gateway signed, a logger bound to the request and, on a mutation sent
 * with an Idempotency-Key, that key. Built by the subgraph server for HTTP and
 * by the subscription server for graphql-ws.
 */
import type { Logger } from 'pino';
import type { Caller } from '../callerContext';

/** What every resolver of every subgraph receives. */
export interface BaseContext {
  requestId: string;
  caller: Caller;
  log: Logger;
  /**
   * The client's Idempotency-Key of a mutation (signed by the gateway), with
   * the digest of the operation it came with (operationDigest): what a subgraph
   * keeps to answer a retry without doing the work again.
   */
  idempotency?: { key: string; digest: string };
}
