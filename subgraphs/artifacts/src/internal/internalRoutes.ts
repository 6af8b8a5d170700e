/**
 * The artifacts service's internal routes (ARTIFACTS_INTERNAL in
 * internalApi.ts): POST, JSON, callable only by the registry (its saga
 * orchestrator and reconciler), signed for the route and the exact body.
 * Each is idempotent: the same body twice leaves the bucket as once did.
 *   inspect  an owner's files, sizes and checksums
 *   delete   every object (version) under an owner's or an experiment's prefix,
 *            and the multipart uploads still open there
 *   copy     an owner's files to another owner under the same names
 *   owners   one page of the bucket scanned and summed by owner
 */
import type { Logger } from '@lab/shared';
import {
  ARTIFACTS_INTERNAL,
  type DeleteFilesRequest,
  type DeleteFilesResult,
  type FilesScope,
  INTERNAL_API_SENDER,
  internalRoute,
} from '@lab/shared/internal';
import type { Express } from 'express';
import { prefixOf } from '../files/owners';
import type { ArtifactsStore } from '../store/artifactsStore';
import { copyFiles } from './copy';
import { inspectFiles } from './inspect';
import { listFileOwners } from './owners';
import { parseCopy, parseDelete, parseInspect, parseOwners } from './requests';

export interface InternalRoutesOptions {
  store: ArtifactsStore;
  internalSecret: string;
  log: Logger;
}

/** Where a scope's files live: the owner's prefix, or everything under the experiment. */
export function scopePrefix(scope: FilesScope): string {
  return scope.kind === 'EXPERIMENT' ? `experiments/${scope.id.toLowerCase()}/` : prefixOf(scope);
}

/** Aborts the uploads still open under the scope first, so none completes into it after the objects are gone. */
export async function deleteFiles(store: ArtifactsStore, request: DeleteFilesRequest): Promise<DeleteFilesResult> {
  const prefix = scopePrefix(request.scope);
  const abortedUploads = await store.uploads.abortUnder(prefix);
  const deleted = await store.purge.deleteUnder(prefix);
  return { deleted, abortedUploads };
}

export function mountInternalRoutes(app: Express, options: InternalRoutesOptions): void {
  const { store } = options;
  const common = { internalSecret: options.internalSecret, sender: INTERNAL_API_SENDER, log: options.log };
  internalRoute(app, ARTIFACTS_INTERNAL.inspect, { ...common, parse: parseInspect, handle: (body) => inspectFiles(store, body) });
  internalRoute(app, ARTIFACTS_INTERNAL.delete, { ...common, parse: parseDelete, handle: (body) => deleteFiles(store, body) });
  internalRoute(app, ARTIFACTS_INTERNAL.copy, { ...common, parse: parseCopy, handle: (body) => copyFiles(store, body) });
  internalRoute(app, ARTIFACTS_INTERNAL.owners, { ...common, parse: parseOwners, handle: (body) => listFileOwners(store, body) });
}
