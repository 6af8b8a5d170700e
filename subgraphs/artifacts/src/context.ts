/**
 * What artifacts resolvers get per request: the end user's access (the
 * registry's _canAccess, batched), the owner locator (process-wide cache),
 * the store, and DataLoaders that dedupe listings and HEADs within the request
 * (the store bounds how many S3 calls run at once).
 */
import { labError } from '@lab/shared';
import { createRegistryAccess, type RegistryAccess } from '@lab/shared/internal';
import type { BaseContext } from '@lab/shared/subgraph';
import DataLoader from 'dataloader';
import type { OwnerLocator } from './files/locator';
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
  deps: { store: ArtifactsStore; locator: OwnerLocator; settings: ArtifactsSettings; registryUrl: string },
): ArtifactsRequest {
  const { store, locator, settings } = deps;
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
      const [readable, writable] = await Promise.all([
        access.canRead(owner.kind, owner.id),
        need === 'WRITE' ? access.canWrite(owner.kind, owner.id) : Promise.resolve(true),
      ]);
      if (!readable) throw notFound();
      if (!writable) {
        throw labError('FORBIDDEN', `You may not add files to ${ownerLabel(owner)}: it needs the EDITOR role in its project`);
      }
      const located = await locator.locate(owner);
      if (!located) throw notFound();
      return located;
    },
  };
}
