/**
 * The entity shape every catalog domain (models, datasets, prompt templates)
 * repeats: one by id for a reader (null when invisible) or for a role
 * (NOT_FOUND otherwise), a version readable through its parent, and the
 * create of a named entity in a project (EDITOR) with its checks in order.
 */
import { labError } from '@lab/shared';
import { writing } from '../../common/prismaErrors';
import { checkDescription, checkId, checkName, checkStringMap } from '../../common/validation';
import type { RegistryContext } from '../../context';
import type { NewCatalogEntity } from '../../store/catalogStore';
import { canRead } from './catalog';

interface InProject {
  projectId: string;
}

/** An entity by id if the caller may read its project, else null. */
export async function readableEntity<T extends InProject>(
  ctx: RegistryContext,
  id: string,
  load: (id: string) => Promise<T | null>,
): Promise<T | null> {
  const entity = await load(id);
  if (!entity || !(await canRead(ctx, entity.projectId))) return null;
  return entity;
}

/** An entity by id for a read (VIEWER) or write (EDITOR); NOT_FOUND when unknown or invisible. `label` names its kind. */
export async function requireEntity<T extends InProject>(
  ctx: RegistryContext,
  label: string,
  rawId: string,
  role: 'VIEWER' | 'EDITOR',
  load: (id: string) => Promise<T | null>,
): Promise<T> {
  const id = checkId(label, rawId);
  const entity = await load(id);
  if (!entity) throw labError('NOT_FOUND', `${label} ${id} not found`);
  await ctx.access.require(entity.projectId, role, `${label} ${id}`);
  return entity;
}

/** A version by id if the caller may read its parent, else null. */
export async function readableVersion<V, P extends InProject>(
  ctx: RegistryContext,
  id: string,
  load: (id: string) => Promise<V | null>,
  parentOf: (version: V) => Promise<P | null>,
): Promise<V | null> {
  const version = await load(id);
  if (!version) return null;
  const parent = await parentOf(version);
  return parent && (await canRead(ctx, parent.projectId)) ? version : null;
}

export interface CatalogEntityInput {
  projectId: string;
  name: string;
  description?: string | null;
  tags?: unknown;
}

/**
 * Creates a named entity in a project: the project id, name, description and
 * tags checked, then the kind's own fields (`fields`), then EDITOR on the
 * project and a user as creator (`doing` says what, e.g. "register models");
 * CONFLICT when the name is taken (`label` names the kind).
 */
export async function createInProject<T, Own extends object>(
  ctx: RegistryContext,
  input: CatalogEntityInput,
  kind: { label: string; doing: string },
  fields: () => Own,
  create: (entity: NewCatalogEntity & Own) => Promise<T>,
): Promise<T> {
  const projectId = checkId('project', input.projectId);
  const name = checkName('name', input.name);
  const description = checkDescription('description', input.description);
  const tags = checkStringMap('tags', input.tags);
  const own = fields();
  await ctx.access.require(projectId, 'EDITOR', `project ${projectId}`);
  const createdById = ctx.access.requireUser(kind.doing);
  return writing(`${kind.label} "${name}"`, () => create({ projectId, name, description, tags, createdById, ...own }));
}
