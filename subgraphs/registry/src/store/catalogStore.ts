/**
 * What the catalog stores (models, datasets, prompt templates) share: list
 * filters over a project-scoped table with JSONB containment (GIN indexes),
 * keyset pages by (sort column, id) and counts (CatalogRows); rows by ids, by
 * parent and by composite key in the order asked (DataLoader batch functions);
 * and the audited create of a named entity in a project. Numbered versions
 * and aliases (models, prompt templates) are in numberedVersions.ts. Lists read the page's ids in
 * SQL, then the rows through Prisma by id, so only these helpers know column names.
 */
import type { Cursor, Direction } from '../common/pagination';
import { isUuid } from '../common/validation';
import { Prisma, type PrismaClient } from '../generated/prisma/client';
import { AuditedStore, type Tx } from './auditedStore';

/** Tables and sort columns the helpers may name (never user input). */
export type CatalogTable = 'models' | 'datasets' | 'prompt_templates';
export type CatalogSort = 'created_at' | 'updated_at' | 'name';

export interface CatalogFilter {
  /** Projects the caller may read, or 'all'. */
  readable: string[] | 'all';
  projectId?: string;
  /** Case-insensitive substring of the name. */
  nameSearch?: string;
  /** The row's tags contain these key-values. */
  tags?: Record<string, string>;
  /** The row's metadata contains this JSON object (PostgreSQL @>). */
  metadataContains?: Record<string, unknown>;
  createdFrom?: Date;
  createdTo?: Date;
}

export interface CatalogPage {
  sort: CatalogSort;
  direction: Direction;
  cursor?: Cursor;
  /** Rows to fetch (page size + 1 to learn whether there is a next page). */
  limit: number;
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** The WHERE conditions of a filter; null when nothing can match. */
export function catalogWhere(filter: CatalogFilter): Prisma.Sql | null {
  const parts: Prisma.Sql[] = [];
  if (filter.readable !== 'all') {
    if (filter.readable.length === 0) return null;
    parts.push(Prisma.sql`project_id = ANY(${filter.readable}::uuid[])`);
  }
  if (filter.projectId !== undefined) parts.push(Prisma.sql`project_id = ${filter.projectId}::uuid`);
  if (filter.nameSearch) parts.push(Prisma.sql`name ILIKE ${`%${escapeLike(filter.nameSearch)}%`}`);
  if (filter.tags && Object.keys(filter.tags).length > 0) {
    parts.push(Prisma.sql`tags @> ${JSON.stringify(filter.tags)}::jsonb`);
  }
  if (filter.metadataContains && Object.keys(filter.metadataContains).length > 0) {
    parts.push(Prisma.sql`metadata @> ${JSON.stringify(filter.metadataContains)}::jsonb`);
  }
  if (filter.createdFrom) parts.push(Prisma.sql`created_at >= ${filter.createdFrom.toISOString()}::timestamptz`);
  if (filter.createdTo) parts.push(Prisma.sql`created_at < ${filter.createdTo.toISOString()}::timestamptz`);
  return parts.length > 0 ? Prisma.join(parts, ' AND ') : Prisma.sql`TRUE`;
}

function cursorValue(sort: CatalogSort, v: Cursor['v']): Prisma.Sql {
  if (sort === 'name') return Prisma.sql`${String(v ?? '')}::text`;
  const date = new Date(String(v));
  if (Number.isNaN(date.getTime())) return Prisma.sql`'-infinity'::timestamptz`;
  return Prisma.sql`${date.toISOString()}::timestamptz`;
}

/** One keyset page of ids, in page order. */
export async function catalogPageIds(
  prisma: PrismaClient,
  table: CatalogTable,
  filter: CatalogFilter,
  page: CatalogPage,
): Promise<string[]> {
  const where = catalogWhere(filter);
  if (where === null || page.limit <= 0) return [];
  const column = Prisma.raw(page.sort);
  const dir = Prisma.raw(page.direction === 'ASC' ? 'ASC' : 'DESC');
  const beyond = Prisma.raw(page.direction === 'ASC' ? '>' : '<');
  const after = page.cursor
    ? Prisma.sql`AND (${column}, id) ${beyond} (${cursorValue(page.sort, page.cursor.v)}, ${page.cursor.id}::uuid)`
    : Prisma.empty;
  const rows = await prisma.$queryRaw<{ id: string }[]>`
    SELECT id::text AS id FROM ${Prisma.raw(table)}
    WHERE ${where} ${after}
    ORDER BY ${column} ${dir}, id ${dir}
    LIMIT ${page.limit}`;
  return rows.map((r) => r.id);
}

export async function catalogCount(prisma: PrismaClient, table: CatalogTable, filter: CatalogFilter): Promise<number> {
  const where = catalogWhere(filter);
  if (where === null) return 0;
  const rows = await prisma.$queryRaw<{ n: bigint | number }[]>`
    SELECT count(*) AS n FROM ${Prisma.raw(table)} WHERE ${where}`;
  return Number(rows[0]?.n ?? 0);
}

/** Rows by id in the order asked, null where unknown (for DataLoader batch functions). */
export function inOrder<T extends { id: string }>(ids: readonly string[], rows: T[]): (T | null)[] {
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.map((id) => byId.get(id.toLowerCase()) ?? null);
}

/** Sorts rows into the order of the ids (after a findMany by id). */
export function ordered<T extends { id: string }>(ids: string[], rows: T[]): T[] {
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}

/** The well-formed ids asked, lower-cased, once each (an id that is not a UUID matches nothing). */
export function uuids(ids: readonly string[]): string[] {
  return [...new Set(ids.filter(isUuid).map((id) => id.toLowerCase()))];
}

/** Rows by id in the order asked, null where unknown: one query for the well-formed ids. */
export async function rowsByIds<T extends { id: string }>(
  ids: readonly string[],
  find: (wanted: string[]) => Promise<T[]>,
): Promise<(T | null)[]> {
  const wanted = uuids(ids);
  return inOrder(ids, wanted.length > 0 ? await find(wanted) : []);
}

/** Rows under each parent id asked (aliases of a model, versions of a run), in the query's order: one query for all. */
export async function rowsByParents<T>(
  parentIds: readonly string[],
  find: (wanted: string[]) => Promise<T[]>,
  parentOf: (row: T) => string | null,
): Promise<T[][]> {
  const wanted = uuids(parentIds);
  const rows = wanted.length > 0 ? await find(wanted) : [];
  return parentIds.map((id) => rows.filter((r) => parentOf(r) === id.toLowerCase()));
}

/** Rows by a composite key (a parent id and a number or label), in the order asked, null where missing. */
export async function rowsByKeys<K, T>(
  keys: readonly K[],
  options: {
    valid: (key: K) => boolean;
    find: (valid: K[]) => Promise<T[]>;
    /** The same string for a row and the key that asks for it. */
    keyOfRow: (row: T) => string;
    keyOf: (key: K) => string;
  },
): Promise<(T | null)[]> {
  const valid = keys.filter(options.valid);
  const rows = valid.length > 0 ? await options.find(valid) : [];
  const byKey = new Map(rows.map((r) => [options.keyOfRow(r), r]));
  return keys.map((k) => byKey.get(options.keyOf(k)) ?? null);
}

/** One keyset page of a catalog list, rows in page order. */
export async function catalogList<T extends { id: string }>(
  prisma: PrismaClient,
  table: CatalogTable,
  filter: CatalogFilter,
  page: CatalogPage,
  find: (ids: string[]) => Promise<T[]>,
): Promise<T[]> {
  const ids = await catalogPageIds(prisma, table, filter, page);
  if (ids.length === 0) return [];
  return ordered(ids, await find(ids));
}

/** The reads every catalog table answers: rows by ids (a DataLoader batch function), list pages and counts. */
export class CatalogRows<T extends { id: string }> {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly table: CatalogTable,
    /** The table's rows with these ids, in any order (its Prisma delegate's findMany). */
    private readonly find: (ids: string[]) => Promise<T[]>,
  ) {}

  byIds(ids: readonly string[]): Promise<(T | null)[]> {
    return rowsByIds(ids, this.find);
  }

  list(filter: CatalogFilter, page: CatalogPage): Promise<T[]> {
    return catalogList(this.prisma, this.table, filter, page, this.find);
  }

  count(filter: CatalogFilter): Promise<number> {
    return catalogCount(this.prisma, this.table, filter);
  }
}

/** What every catalog entity is created with: its project, name, description, tags and creator. */
export interface NewCatalogEntity {
  projectId: string;
  name: string;
  description?: string;
  tags?: Record<string, string>;
  createdById: string;
}

/** A new entity's columns, defaults filled in (metadata, for the tables that have it: models, datasets). */
export function catalogEntityData(input: NewCatalogEntity & { metadata?: Record<string, unknown> }) {
  return {
    projectId: input.projectId,
    name: input.name,
    description: input.description ?? '',
    tags: input.tags ?? {},
    ...('metadata' in input ? { metadata: (input.metadata ?? {}) as Prisma.InputJsonObject } : {}),
    createdById: input.createdById,
  };
}

/** A catalog store: the audited create every catalog entity shares. */
export abstract class CatalogStore extends AuditedStore {
  /** Creates an entity in one transaction with its audit event (the input as the change, its creator left out). */
  protected createAudited<T extends { id: string; projectId: string }, I extends { createdById: string }>(
    event: { action: string; entityType: string },
    input: I,
    create: (tx: Tx) => Promise<T>,
  ): Promise<T> {
    return this.withAudit(async (tx, audit) => {
      const row = await create(tx);
      const { createdById: _by, ...change } = input;
      audit({ ...event, entityId: row.id, projectId: row.projectId, change });
      return row;
    });
  }
}
