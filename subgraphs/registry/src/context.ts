/** What the registry's resolvers receive: the base context plus per-request loaders. */
import type { BaseContext } from '@lab/shared';
import DataLoader from 'dataloader';
import type { RegistryStore, User } from './store/registryStore';

export interface RegistryContext extends BaseContext {
  /** Users by id, batched and cached for one request. */
  users: DataLoader<string, User | null>;
}

export function createContext(store: RegistryStore): (base: BaseContext) => RegistryContext {
  return (base) => ({ ...base, users: new DataLoader((ids) => store.usersByIds(ids)) });
}
