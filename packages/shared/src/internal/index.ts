/**
 * @lab/shared/internal: calls between services. The internal routes and their wire types (internalApi), the
 * routes' server side and the call of a route (internalCalls), the one signed client every service-to-service call goes
 * through (serviceClient), and the registry's access checks (registryAccess).
 */
export * from './internalApi';
export * from './internalCalls';
export * from './registryAccess';
export * from './serviceClient';
