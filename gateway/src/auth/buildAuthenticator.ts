/**
 * The gateway's authenticator as the configuration asks for it: the
 * bootstrap admin's key (LAB_ADMIN_API_KEY) first, then JWTs when configured
 * (jwtAuthenticator.ts), then API keys kept in the registry
 * (registryAuthenticator.ts), tried in that order (authenticate.ts). A caller
 * that brings its own authenticator (tests, the benchmarks) gets it back
 * unchanged, with no registry cache.
 */
import type { Config, Logger } from '@lab/shared';
import { type Authenticator, adminKeyAuthenticator, chainAuthenticators } from './authenticate';
import { jwtAuthenticatorFromConfig } from './jwtAuthenticator';
import { type RegistryAuthenticator, type RegistryAuthenticatorOptions, registryAuthenticator } from './registryAuthenticator';

export interface BuildAuthenticatorOptions {
  config: Pick<Config, 'adminApiKey' | 'subgraphUrls'> & Partial<Pick<Config, 'jwt'>>;
  /** LAB_INTERNAL_SECRET: the registry is asked about API keys as the gateway, signed with it. */
  internalSecret: string;
  log: Logger;
  /** Used as it is when given. */
  authenticator?: Authenticator;
  /** Milliseconds since the epoch, against which credentials expire (default Date.now). */
  now?: () => number;
  /** How often the API keys in use are re-checked with the registry, in ms (registryAuthenticator.ts, default 2000). */
  keyRecheckIntervalMs?: number;
  /** Called for each call to the registry about API keys. */
  onLookup?: RegistryAuthenticatorOptions['onLookup'];
}

export interface GatewayAuthenticator {
  authenticator: Authenticator;
  /** The registry's API keys as this gateway caches and re-checks them (absent when the authenticator was given). */
  apiKeys?: RegistryAuthenticator;
}

export async function buildAuthenticator(options: BuildAuthenticatorOptions): Promise<GatewayAuthenticator> {
  if (options.authenticator) return { authenticator: options.authenticator };
  const { config, log } = options;
  const jwt = await jwtAuthenticatorFromConfig(config.jwt, options.now);
  const apiKeys = registryAuthenticator({
    registryUrl: config.subgraphUrls.registry,
    internalSecret: options.internalSecret,
    log,
    now: options.now,
    revalidateIntervalMs: options.keyRecheckIntervalMs,
    onLookup: options.onLookup,
  });
  if (!config.adminApiKey) log.warn('LAB_ADMIN_API_KEY is not set: only API keys kept in the registry can authenticate');
  const authenticator = chainAuthenticators(adminKeyAuthenticator(config.adminApiKey), ...(jwt ? [jwt] : []), apiKeys);
  return { authenticator, apiKeys };
}
