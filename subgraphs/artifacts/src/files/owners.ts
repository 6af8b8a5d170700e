/**
 * What a file belongs to, and where its files live in the bucket (DESIGN.md):
 *   RUN              experiments/{experiment_id}/runs/{run_id}/outputs/
 *   DATASET_VERSION  datasets/{dataset_id}/{version_id}/
 *   MODEL_VERSION    models/{model_id}/artifacts/{version_id}/
 * An artifact's id is opaque: its key and, where the server versions objects,
 * its version id; the owner is read back from the key.
 */
import { labError } from '@lab/shared';

export type OwnerKind = 'RUN' | 'DATASET_VERSION' | 'MODEL_VERSION';
export const OWNER_KINDS: readonly OwnerKind[] = ['RUN', 'DATASET_VERSION', 'MODEL_VERSION'];

export interface Owner {
  kind: OwnerKind;
  id: string;
}

/** An owner with the id of its parent (experiment, dataset or model). */
export interface LocatedOwner extends Owner {
  parentId: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function isUuid(id: string): boolean {
  return UUID.test(id.toLowerCase());
}

export function ownerLabel(owner: Owner): string {
  return `${owner.kind === 'RUN' ? 'run' : owner.kind === 'DATASET_VERSION' ? 'dataset version' : 'model version'} ${owner.id}`;
}

export function prefixOf(owner: LocatedOwner): string {
  const id = owner.id.toLowerCase();
  const parent = owner.parentId.toLowerCase();
  switch (owner.kind) {
    case 'RUN':
      return `experiments/${parent}/runs/${id}/outputs/`;
    case 'DATASET_VERSION':
      return `datasets/${parent}/${id}/`;
    case 'MODEL_VERSION':
      return `models/${parent}/artifacts/${id}/`;
  }
}

const U = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const LAYOUTS: { kind: OwnerKind; pattern: RegExp }[] = [
  { kind: 'RUN', pattern: new RegExp(`^experiments/(${U})/runs/(${U})/outputs/(.+)$`) },
  { kind: 'DATASET_VERSION', pattern: new RegExp(`^datasets/(${U})/(${U})/(.+)$`) },
  { kind: 'MODEL_VERSION', pattern: new RegExp(`^models/(${U})/artifacts/(${U})/(.+)$`) },
];

/** The owner and file name a key belongs to; undefined for keys outside the three layouts. */
export function parseKey(key: string): { owner: LocatedOwner; name: string } | undefined {
  for (const { kind, pattern } of LAYOUTS) {
    const m = pattern.exec(key);
    if (m) return { owner: { kind, id: m[2] as string, parentId: m[1] as string }, name: m[3] as string };
  }
  return undefined;
}

export interface ArtifactRef {
  key: string;
  versionId?: string | undefined;
}

export function artifactId(ref: ArtifactRef): string {
  return Buffer.from(ref.versionId ? `${ref.key}\n${ref.versionId}` : ref.key, 'utf8').toString('base64url');
}

/** The artifact an id names, with its owner; NOT_FOUND for anything that is not one of ours. */
export function parseArtifactId(id: string): ArtifactRef & { owner: LocatedOwner; name: string } {
  const notFound = () => labError('NOT_FOUND', `artifact ${id} not found`);
  if (!/^[A-Za-z0-9_-]{1,2000}$/.test(id)) throw notFound();
  const text = Buffer.from(id, 'base64url').toString('utf8');
  const [key, versionId, ...rest] = text.split('\n');
  if (!key || rest.length > 0 || versionId === '') throw notFound();
  const parsed = parseKey(key);
  if (!parsed) throw notFound();
  return { key, versionId, ...parsed };
}
