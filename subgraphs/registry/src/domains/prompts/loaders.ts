import DataLoader from 'dataloader';
import type { RegistryStore } from '../../store/registryStore';

export interface PromptVersionKey {
  templateId: string;
  version: number;
}

export function promptsLoaders(store: RegistryStore) {
  return {
    /** Prompt templates by id. */
    promptTemplates: new DataLoader((ids: readonly string[]) => store.prompts.templates.byIds(ids)),
    /** Prompt versions by id. */
    promptVersions: new DataLoader((ids: readonly string[]) => store.prompts.versionsByIds(ids)),
    /** Prompt versions by (template id, number). */
    promptVersionsByNumber: new DataLoader((keys: readonly PromptVersionKey[]) => store.prompts.versionsByNumber(keys), {
      cacheKeyFn: (k) => `${k.templateId.toLowerCase()}:${k.version}`,
    }),
    /** Each template's aliases. */
    promptAliases: new DataLoader((ids: readonly string[]) => store.prompts.aliases(ids, 'templateId')),
    /** The aliases pointing at each prompt version. */
    promptVersionAliases: new DataLoader((ids: readonly string[]) => store.prompts.aliases(ids, 'promptVersionId')),
  };
}
