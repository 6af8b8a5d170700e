/**
 * @lab/shared/internal: calls between services. The internal routes and their wire types (internalApi), the
 * routes' server side and the signed call (internalCalls), and the registry's access checks (registryAccess).
 */
export * from './internalApi';
export * from './internalCalls';
export * from './registryAccess';
