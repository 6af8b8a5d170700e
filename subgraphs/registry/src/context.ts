/**
 * What the registry's resolvers receive: the base context (caller, request id,
 * log), the store, the caller's access, and per-request DataLoaders, so every
 * lookup by id and every nested relation is batched and cached for one request.
 */
import type { BaseContext } from '@lab/shared/subgraph';
import { Access } from './access/access';
import { datasetsLoaders } from './domains/datasets/loaders';
import { experimentsLoaders } from './domains/experiments/loaders';
import { identityLoaders } from './domains/identity/loaders';
import { modelsLoaders } from './domains/models/loaders';
import { promptsLoaders } from './domains/prompts/loaders';
import type { ReconcileRunner } from './reconcile/schedule';
import type { SagaOrchestrator } from './sagas/orchestrator';
import type { StoreServices } from './sagas/storeServices';
import { RequestIdempotency } from './store/idempotency';
import type { RegistryStore } from './store/registryStore';

export function createLoaders(store: RegistryStore) {
  return {
    ...identityLoaders(store),
    ...experimentsLoaders(store),
    ...modelsLoaders(store),
    ...datasetsLoaders(store),
    ...promptsLoaders(store),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;

export interface RegistryContext extends BaseContext {
  store: RegistryStore;
  access: Access;
  loaders: Loaders;
  /** Runs the sagas that saga mutations start (absent in tests without the other services). */
  orchestrator?: SagaOrchestrator;
  /** Runs Mutation.reconcile (absent in tests without the other services). */
  reconciler?: ReconcileRunner;
  /** The other stores' internal routes, called for this request (run lists ranked by metrics); absent without them. */
  services?: StoreServices;
}

export interface ContextOptions {
  /** How long an idempotency key and its result are kept (default 24 h). */
  idempotencyTtlMs?: number;
  orchestrator?: SagaOrchestrator;
  reconciler?: ReconcileRunner;
  /** The other stores' internal routes, signed with the request's id. */
  services?: (requestId: string) => StoreServices;
}

/**
 * Each request gets the store as its caller: the audit events of its writes
 * name the caller and the request id; a mutation's Idempotency-Key rides along.
 */
export function createContext(shared: RegistryStore, options: ContextOptions = {}): (base: BaseContext) => RegistryContext {
  return (base) => {
    const idempotency = base.idempotency
      ? new RequestIdempotency(base.caller.id, base.idempotency.key, base.idempotency.digest, options.idempotencyTtlMs)
      : undefined;
    const store = shared.forActor(
      { actorId: base.caller.id, actorKind: base.caller.kind, requestId: base.requestId },
      idempotency,
    );
    return {
      ...base,
      store,
      access: new Access(base.caller, (userId) => store.identity.membershipsOf(userId)),
      loaders: createLoaders(store),
      ...(options.orchestrator ? { orchestrator: options.orchestrator } : {}),
      ...(options.reconciler ? { reconciler: options.reconciler } : {}),
      ...(options.services ? { services: options.services(base.requestId) } : {}),
    };
  };
}
