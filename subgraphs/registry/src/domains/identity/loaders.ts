import DataLoader from 'dataloader';
import type { RegistryStore } from '../../store/registryStore';

export function identityLoaders(store: RegistryStore) {
  return {
    /** Users by id. */
    users: new DataLoader((ids: readonly string[]) => store.identity.usersByIds(ids)),
  };
}
