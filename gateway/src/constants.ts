/** Names and fixed ids the gateway relies on; they live in @lab/shared. */
export {
  BOOTSTRAP_ADMIN_ID,
  isSubgraphName,
  STORE_OWNERS,
  type StoreName,
  SUBGRAPH_NAMES,
  type SubgraphName,
} from '@lab/shared';
