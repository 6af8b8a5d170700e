/**
 * The numbered-version shape models and prompt templates share: a parent with
 * gapless versions 1..latestVersion, named aliases pointing at versions (the
 * reserved "latest" always the newest), the parent's version fields, and the
 * alias mutations (EDITOR on the parent).
 */
import { labError } from '@lab/shared';
import type { PageArgs } from '../../common/pagination';
import { writing } from '../../common/prismaErrors';
import { checkKey } from '../../common/validation';
import type { RegistryContext } from '../../context';
import { checkSettableAlias, checkVersionNumber, isReservedAlias, versionNumberPage } from './catalog';

interface NumberedParent {
  id: string;
  latestVersion: number;
}

/** How one kind (models, prompt templates) reaches its versions and aliases through the request's loaders. */
export interface NumberedVersions<
  P extends NumberedParent,
  V extends { id: string; version: number },
  A extends { alias: string },
> {
  /** The parent's kind in messages: "model", "prompt template". */
  label: string;
  /** The parent by id for a role; NOT_FOUND when unknown or invisible. */
  requireParent: (ctx: RegistryContext, rawId: string, role: 'VIEWER' | 'EDITOR') => Promise<P>;
  byId: (ctx: RegistryContext, id: string) => Promise<V | null>;
  byNumber: (ctx: RegistryContext, parentId: string, version: number) => Promise<V | null>;
  byNumbers: (ctx: RegistryContext, parentId: string, versions: number[]) => Promise<(V | null | Error)[]>;
  aliases: (ctx: RegistryContext, parentId: string) => Promise<A[]>;
  versionIdOf: (alias: A) => string;
  setAlias: (ctx: RegistryContext, parentId: string, alias: string, versionId: string) => Promise<A>;
  deleteAlias: (ctx: RegistryContext, parentId: string, alias: string) => Promise<boolean>;
  /** Forgets the cached aliases after a change. */
  clearAliases: (ctx: RegistryContext, parentId: string) => void;
}

/** The version an alias names; the reserved "latest" is the newest. Null when unset. */
export async function versionByAlias<
  P extends NumberedParent,
  V extends { id: string; version: number },
  A extends { alias: string },
>(kind: NumberedVersions<P, V, A>, ctx: RegistryContext, parent: P, alias: string): Promise<V | null> {
  if (isReservedAlias(alias)) {
    return parent.latestVersion > 0 ? kind.byNumber(ctx, parent.id, parent.latestVersion) : null;
  }
  const found = (await kind.aliases(ctx, parent.id)).find((a) => a.alias === alias);
  return found ? kind.byId(ctx, kind.versionIdOf(found)) : null;
}

/** The parent type's fields: latestVersion, version(number), versions, alias(name), aliases. */
export function numberedVersionFields<
  P extends NumberedParent,
  V extends { id: string; version: number },
  A extends { alias: string },
>(kind: NumberedVersions<P, V, A>) {
  return {
    latestVersion: (parent: P, _a: unknown, ctx: RegistryContext) =>
      parent.latestVersion > 0 ? kind.byNumber(ctx, parent.id, parent.latestVersion) : null,
    version: (parent: P, args: { number: number }, ctx: RegistryContext) =>
      Number.isInteger(args.number) && args.number >= 1 ? kind.byNumber(ctx, parent.id, args.number) : null,
    versions: (parent: P, args: PageArgs, ctx: RegistryContext) =>
      versionNumberPage(parent.latestVersion, args, (numbers) => kind.byNumbers(ctx, parent.id, numbers)),
    alias: (parent: P, args: { name: string }, ctx: RegistryContext) => versionByAlias(kind, ctx, parent, args.name),
    aliases: (parent: P, _a: unknown, ctx: RegistryContext) => kind.aliases(ctx, parent.id),
  };
}

/** Points an alias at a version by number, creating or moving it (EDITOR). */
export async function setVersionAlias<
  P extends NumberedParent,
  V extends { id: string; version: number },
  A extends { alias: string },
>(kind: NumberedVersions<P, V, A>, ctx: RegistryContext, args: { parentId: string; alias: string; version: number }): Promise<A> {
  const alias = checkSettableAlias(args.alias);
  const number = checkVersionNumber('version', args.version);
  const parent = await kind.requireParent(ctx, args.parentId, 'EDITOR');
  const version = await kind.byNumber(ctx, parent.id, number);
  if (!version) throw labError('NOT_FOUND', `version ${number} of ${kind.label} ${parent.id} not found`);
  const row = await writing(`alias "${alias}"`, () => kind.setAlias(ctx, parent.id, alias, version.id));
  kind.clearAliases(ctx, parent.id);
  return row;
}

/** Removes an alias (EDITOR); false when there was none. */
export async function deleteVersionAlias<
  P extends NumberedParent,
  V extends { id: string; version: number },
  A extends { alias: string },
>(kind: NumberedVersions<P, V, A>, ctx: RegistryContext, args: { parentId: string; alias: string }): Promise<boolean> {
  const alias = checkKey('alias', args.alias);
  const parent = await kind.requireParent(ctx, args.parentId, 'EDITOR');
  const deleted = await kind.deleteAlias(ctx, parent.id, alias);
  kind.clearAliases(ctx, parent.id);
  return deleted;
}
