/**
 * Names and fixed ids the gateway relies on: the subgraphs, their stores and
 * the bootstrap admin (they live in @lab/shared), and the caller the gateway
 * is when it calls a service on its own behalf (API keys, API usage).
 */
import type { Caller } from '@lab/shared';

export {
  BOOTSTRAP_ADMIN_ID,
  isSubgraphName,
  STORE_OWNERS,
  type StoreName,
  SUBGRAPH_NAMES,
  type SubgraphName,
} from '@lab/shared';

/** The gateway as the caller of its own service requests, signed like any caller. */
export const GATEWAY_SERVICE_CALLER: Caller = { id: 'gateway', kind: 'service', scopes: ['*'] };
