import DataLoader from 'dataloader';
import type { ModelName } from '../../store/modelsStore';
import type { RegistryStore } from '../../store/registryStore';

export interface ModelVersionKey {
  modelId: string;
  version: number;
}

export function modelsLoaders(store: RegistryStore) {
  return {
    /** Models by id. */
    models: new DataLoader((ids: readonly string[]) => store.models.models.byIds(ids)),
    /** Models by project and name. */
    modelsByName: new DataLoader((keys: readonly ModelName[]) => store.models.modelsByNames(keys), {
      cacheKeyFn: (k) => `${k.projectId.toLowerCase()}/${k.name}`,
    }),
    /** Model versions by id. */
    modelVersions: new DataLoader((ids: readonly string[]) => store.models.versionsByIds(ids)),
    /** Model versions by (model id, number). */
    modelVersionsByNumber: new DataLoader((keys: readonly ModelVersionKey[]) => store.models.versionsByNumber(keys), {
      cacheKeyFn: (k) => `${k.modelId.toLowerCase()}:${k.version}`,
    }),
    /** Each model's aliases. */
    modelAliases: new DataLoader((modelIds: readonly string[]) => store.models.aliases(modelIds, 'modelId')),
    /** The aliases pointing at each model version. */
    modelVersionAliases: new DataLoader((versionIds: readonly string[]) => store.models.aliases(versionIds, 'modelVersionId')),
    /** The model versions each run produced (lineage). */
    modelVersionsBySourceRun: new DataLoader((runIds: readonly string[]) => store.models.versionsBySourceRuns(runIds)),
  };
}
