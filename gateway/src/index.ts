export {
  type Authenticator,
  adminKeyAuthenticator,
  authenticateRequest,
  bearerKey,
  chainAuthenticators,
} from './auth/authenticate';
export {
  type RegistryAuthenticator,
  type RegistryAuthenticatorOptions,
  registryAuthenticator,
  sha256Hex,
} from './auth/registryAuthenticator';
export { BOOTSTRAP_ADMIN_ID, STORE_OWNERS, SUBGRAPH_NAMES, type SubgraphName } from './constants';
export { createGatewayExecutor, type GatewayExecutor, type GatewayExecutorOptions } from './execution/gatewayExecutor';
export { type GatewayContext, SignedDataSource } from './execution/signedDataSource';
export { graphiqlPage } from './http/graphiql';
export { type PlatformHealth, platformHealth } from './http/health';
export { type GatewayOptions, type RunningGateway, startGateway } from './server';
