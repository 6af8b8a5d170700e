/**
 * What artifacts resolvers get per request: the owners of files with the end
 * user's rights on them (the registry's _ownership, batched: one call answers
 * both where an owner's files live and whether the caller may use them), the
 * store, and DataLoaders that dedupe listings and HEADs within the request
 * (the store bounds how many S3 calls run at once).
 */
import { labError } from '@lab/shared';
import { createRegistryAccess, type RegistryAccess } from '@lab/shared/internal';
import type { BaseContext } from '@lab/shared/subgraph';
import DataLoader from 'dataloader';
import { isUuid, type LocatedOwner, type Owner, ownerLabel } from './files/owners';
import type { ArtifactsStore } from './store/artifactsStore';
import type { ListPage, ObjectHead } from './store/filesStore';

export interface ArtifactsSettings {
  internalSecret: string;
  multipartThresholdBytes: number;
  partSizeBytes: number;
}

export interface ListKey {
  prefix: string;
  first: number;
  startAfter?: string | undefined;
}

export interface ArtifactsRequest {
  store: ArtifactsStore;
  settings: ArtifactsSettings;
  access: RegistryAccess;
  lists: DataLoader<ListKey, ListPage, string>;
  counts: DataLoader<string, number>;
  heads: DataLoader<{ key: string; versionId?: string | undefined }, ObjectHead | undefined, string>;
  /** The owner, checked for the caller (NOT_FOUND when unknown or unreadable, FORBIDDEN when read-only for a write). */
  owner(owner: Owner, need: 'READ' | 'WRITE'): Promise<LocatedOwner>;
}

export interface ArtifactsContext extends BaseContext {
  artifacts: ArtifactsRequest;
}

export function createArtifactsRequest(
  base: BaseContext,
  deps: { store: ArtifactsStore; settings: ArtifactsSettings; registryUrl: string },
): ArtifactsRequest {
  const { store, settings } = deps;
  const access = createRegistryAccess({
    registryUrl: deps.registryUrl,
    internalSecret: settings.internalSecret,
    requestId: base.requestId,
    caller: base.caller,
  });
  const lists = new DataLoader<ListKey, ListPage, string>(
    (keys) => Promise.all(keys.map((k) => store.files.list(k.prefix, k.first, k.startAfter))),
    { cacheKeyFn: (k) => JSON.stringify([k.prefix, k.first, k.startAfter ?? null]) },
  );
  const counts = new DataLoader<string, number>((prefixes) => Promise.all(prefixes.map((p) => store.files.count(p))));
  const heads = new DataLoader<{ key: string; versionId?: string | undefined }, ObjectHead | undefined, string>(
    (refs) => Promise.all(refs.map((r) => store.files.head(r.key, r.versionId))),
    { cacheKeyFn: (r) => `${r.key}\n${r.versionId ?? ''}` },
  );
  return {
    store,
    settings,
    access,
    lists,
    counts,
    heads,
    async owner(owner, need) {
      const notFound = () => labError('NOT_FOUND', `${ownerLabel(owner)} not found`);
      if (!isUuid(owner.id)) throw notFound();
      const found = await access.ownership(owner.kind, owner.id);
      if (!found.canRead || !found.parentId) throw notFound();
      if (need === 'WRITE' && !found.canWrite) {
        throw labError('FORBIDDEN', `You may not add files to ${ownerLabel(owner)}: it needs the EDITOR role in its project`);
      }
      return { kind: owner.kind, id: owner.id.toLowerCase(), parentId: found.parentId };
    },
  };
}
