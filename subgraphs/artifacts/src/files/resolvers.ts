/**
 * Reading files: Run.outputs, DatasetVersion.files, ModelVersion.artifacts
 * (Relay connections over the owner's prefix, in name order), Query.artifact,
 * the Artifact entity, and Artifact.downloadUrl (a presigned GET).
 *
 * Access: READ on the owner. An owner the caller may not read, or that does
 * not exist, answers null at that field with NOT_FOUND.
 */
import { labError } from '@lab/shared';
import type { ArtifactsContext } from '../context';
import type { ObjectEntry, ObjectHead } from '../store/filesStore';
import { artifactId, type LocatedOwner, type Owner, type OwnerKind, parseArtifactId, prefixOf } from './owners';

export const DEFAULT_PAGE = 100;
export const MAX_PAGE = 1000;
export const DEFAULT_DOWNLOAD_SECONDS = 15 * 60;
export const MAX_DOWNLOAD_SECONDS = 60 * 60;

export interface ArtifactSource {
  id: string;
  key: string;
  name: string;
  owner: Owner;
  versionId: string | undefined;
  sizeBytes: number;
  etag: string;
  lastModified: Date;
  head?: ObjectHead | undefined;
}

export function artifactOf(owner: Owner, name: string, entry: ObjectEntry | ObjectHead): ArtifactSource {
  return {
    id: artifactId(entry),
    key: entry.key,
    name,
    owner: { kind: owner.kind, id: owner.id },
    versionId: entry.versionId,
    sizeBytes: entry.size,
    etag: entry.etag,
    lastModified: entry.lastModified,
    head: 'contentType' in entry ? entry : undefined,
  };
}

const cursorOf = (name: string) => Buffer.from(name, 'utf8').toString('base64url');

function afterName(after: string | null | undefined): string | undefined {
  if (after == null) return undefined;
  if (!/^[A-Za-z0-9_-]{1,1400}$/.test(after))
    throw labError('BAD_USER_INPUT', 'after is not a cursor of this list', { field: 'after' });
  return Buffer.from(after, 'base64url').toString('utf8');
}

interface PageArgs {
  first?: number | null;
  after?: string | null;
}

async function connection(ctx: ArtifactsContext, kind: OwnerKind, id: string, args: PageArgs) {
  const first = args.first ?? DEFAULT_PAGE;
  if (!Number.isInteger(first) || first < 0 || first > MAX_PAGE) {
    throw labError('BAD_USER_INPUT', `first must be between 0 and ${MAX_PAGE}`, { field: 'first' });
  }
  const after = afterName(args.after);
  const owner: LocatedOwner = await ctx.artifacts.owner({ kind, id }, 'READ');
  const prefix = prefixOf(owner);
  const page = await ctx.artifacts.lists.load({ prefix, first, startAfter: after === undefined ? undefined : prefix + after });
  const edges = page.entries.map((e) => {
    const name = e.key.slice(prefix.length);
    return { node: artifactOf(owner, name, e), cursor: cursorOf(name) };
  });
  return {
    edges,
    pageInfo: {
      hasNextPage: page.hasMore,
      hasPreviousPage: after !== undefined,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
    // Called by graphql's default resolver only when asked for: it lists the whole prefix.
    totalCount: () => ctx.artifacts.counts.load(prefix),
  };
}

/** The artifact an id names, for a caller who may read its owner; NOT_FOUND otherwise. */
export async function loadArtifact(ctx: ArtifactsContext, id: string): Promise<ArtifactSource> {
  const ref = parseArtifactId(id);
  await ctx.artifacts.owner(ref.owner, 'READ');
  const head = await ctx.artifacts.heads.load({ key: ref.key, versionId: ref.versionId });
  if (!head) throw labError('NOT_FOUND', `artifact ${id} not found`);
  return artifactOf(ref.owner, ref.name, { ...head, versionId: ref.versionId ?? head.versionId });
}

async function headOf(a: ArtifactSource, ctx: ArtifactsContext): Promise<ObjectHead | undefined> {
  a.head ??= await ctx.artifacts.heads.load({ key: a.key, versionId: a.versionId });
  return a.head;
}

export const filesResolvers = {
  Query: {
    artifact: (_: unknown, args: { id: string }, ctx: ArtifactsContext) => loadArtifact(ctx, args.id),
  },
  Run: {
    outputs: (run: { id: string }, args: PageArgs, ctx: ArtifactsContext) => connection(ctx, 'RUN', run.id, args),
  },
  DatasetVersion: {
    files: (v: { id: string }, args: PageArgs, ctx: ArtifactsContext) => connection(ctx, 'DATASET_VERSION', v.id, args),
  },
  ModelVersion: {
    artifacts: (v: { id: string }, args: PageArgs, ctx: ArtifactsContext) => connection(ctx, 'MODEL_VERSION', v.id, args),
  },
  Artifact: {
    __resolveReference: (ref: { id: string }, ctx: ArtifactsContext) => loadArtifact(ctx, ref.id),
    ownerKind: (a: ArtifactSource) => a.owner.kind,
    ownerId: (a: ArtifactSource) => a.owner.id,
    run: (a: ArtifactSource) => (a.owner.kind === 'RUN' ? { id: a.owner.id } : null),
    datasetVersion: (a: ArtifactSource) => (a.owner.kind === 'DATASET_VERSION' ? { id: a.owner.id } : null),
    modelVersion: (a: ArtifactSource) => (a.owner.kind === 'MODEL_VERSION' ? { id: a.owner.id } : null),
    lastModified: (a: ArtifactSource) => a.lastModified.toISOString(),
    contentType: async (a: ArtifactSource, _: unknown, ctx: ArtifactsContext) => (await headOf(a, ctx))?.contentType ?? null,
    checksum: async (a: ArtifactSource, _: unknown, ctx: ArtifactsContext) => {
      const sha = (await headOf(a, ctx))?.sha256;
      return sha ? `sha256:${sha}` : null;
    },
    uploadedBy: async (a: ArtifactSource, _: unknown, ctx: ArtifactsContext) => (await headOf(a, ctx))?.uploadedBy ?? null,
    downloadUrl: async (a: ArtifactSource, args: { expiresIn?: number | null }, ctx: ArtifactsContext) => {
      const expiresIn = args.expiresIn ?? DEFAULT_DOWNLOAD_SECONDS;
      if (!Number.isInteger(expiresIn) || expiresIn < 1 || expiresIn > MAX_DOWNLOAD_SECONDS) {
        throw labError('BAD_USER_INPUT', `expiresIn must be 1 to ${MAX_DOWNLOAD_SECONDS} seconds`, { field: 'expiresIn' });
      }
      await ctx.artifacts.owner(a.owner, 'READ');
      return ctx.artifacts.store.files.downloadUrl(a.key, a.name, expiresIn, a.versionId);
    },
  },
};
