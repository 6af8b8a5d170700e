/**
 * The other stores, as the registry's sagas and reconciler reach them: the
 * artifacts and metrics subgraphs' internal routes (packages/shared
 * internalApi.ts), called as the registry service, signed for route and body.
 */
import type { Caller } from '@lab/shared';
import { callInternal, INTERNAL_API_SENDER } from '@lab/shared/internal';

export const REGISTRY_SERVICE_CALLER: Caller = { id: INTERNAL_API_SENDER, kind: 'service', scopes: ['*'] };

export interface StoreServices {
  artifacts<T>(path: string, body: unknown, options?: { timeoutMs?: number }): Promise<T>;
  metrics<T>(path: string, body: unknown, options?: { timeoutMs?: number }): Promise<T>;
}

export function createStoreServices(options: {
  artifactsUrl: string;
  metricsUrl: string;
  internalSecret: string;
  /** The request id the calls carry (the saga's, so logs of all three services line up). */
  requestId?: string;
}): StoreServices {
  const call =
    (baseUrl: string) =>
    <T>(path: string, body: unknown, extra?: { timeoutMs?: number }): Promise<T> =>
      callInternal<T>(baseUrl, path, body, {
        internalSecret: options.internalSecret,
        caller: REGISTRY_SERVICE_CALLER,
        requestId: options.requestId ?? `registry-${Date.now().toString(36)}`,
        ...(extra?.timeoutMs ? { timeoutMs: extra.timeoutMs } : {}),
      });
  return { artifacts: call(options.artifactsUrl), metrics: call(options.metricsUrl) };
}
