export { type Authenticator, adminKeyAuthenticator, authenticateRequest, bearerKey, chainAuthenticators } from './authenticate';
export { BOOTSTRAP_ADMIN_ID, STORE_OWNERS, SUBGRAPH_NAMES, type SubgraphName } from './constants';
export { createGatewayExecutor, type GatewayExecutor, type GatewayExecutorOptions } from './gatewayExecutor';
export { graphiqlPage } from './graphiql';
export { type PlatformHealth, platformHealth } from './health';
export {
  type RegistryAuthenticator,
  type RegistryAuthenticatorOptions,
  registryAuthenticator,
  sha256Hex,
} from './registryAuthenticator';
export { type GatewayOptions, type RunningGateway, startGateway } from './server';
export { type GatewayContext, SignedDataSource } from './signedDataSource';
