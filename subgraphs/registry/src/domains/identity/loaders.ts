import DataLoader from 'dataloader';
import type { RegistryStore } from '../../store/registryStore';

export function identityLoaders(store: RegistryStore) {
  return {
    /** Users by id. */
    users: new DataLoader((ids: readonly string[]) => store.identity.usersByIds(ids)),
    /** API keys by id. */
    apiKeys: new DataLoader((ids: readonly string[]) => store.identity.apiKeysByIds(ids)),
    /** Each user's API keys, newest first. */
    apiKeysOfUser: new DataLoader((userIds: readonly string[]) => store.identity.apiKeysOfUsers(userIds)),
    /** Projects by id (no access check: resolvers check). */
    projects: new DataLoader((ids: readonly string[]) => store.identity.projectsByIds(ids)),
    /** Each project's members. */
    membersOfProject: new DataLoader((projectIds: readonly string[]) => store.identity.membersOfProjects(projectIds)),
  };
}
