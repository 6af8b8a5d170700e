/**
 * What other packages may use of the gateway: startGateway, its
 * authenticators and execution stack (the gateway-speed benchmark builds on
 * them), the platform's health and the GraphiQL page.
 */
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
export type { GatewayContext } from './context';
export { createGatewayExecutor, type GatewayExecutor, type GatewayExecutorOptions } from './execution/gatewayExecutor';
export { SignedDataSource } from './execution/signedDataSource';
export { graphiqlPage } from './http/graphiql';
export { type PlatformHealth, platformHealth } from './http/health';
export { type GatewayOptions, type RunningGateway, startGateway } from './server';
