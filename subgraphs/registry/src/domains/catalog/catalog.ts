/**
 * Edge checks and list plumbing shared by the catalog domains (models,
 * datasets, prompt templates): list filters and orders, connections over
 * catalog pages, visibility, and the version-number pages that gapless
 * numbering allows.
 */
import { labError } from '@lab/shared';
import {
  type Connection,
  type Direction,
  decodeCursor,
  encodeCursor,
  type PageArgs,
  pageConnection,
  pageSize,
} from '../../common/pagination';
import { checkJsonObject, checkKey, checkStringMap, isUuid, MAX_NAME_LENGTH } from '../../common/validation';
import type { RegistryContext } from '../../context';
import type { CatalogFilter, CatalogPage, CatalogSort } from '../../store/catalogStore';

export interface CatalogFilterArgs {
  projectId?: string | null;
  nameSearch?: string | null;
  tags?: unknown;
  metadataContains?: unknown;
  created?: { from?: Date | null; to?: Date | null } | null;
}

export interface CatalogOrderArgs {
  field?: 'CREATED_AT' | 'UPDATED_AT' | 'NAME' | null;
  direction?: Direction | null;
}

export interface CatalogListArgs extends PageArgs {
  filter?: CatalogFilterArgs | null;
  orderBy?: CatalogOrderArgs | null;
}

const SORT_COLUMN: Record<string, CatalogSort> = { CREATED_AT: 'created_at', UPDATED_AT: 'updated_at', NAME: 'name' };

function bad(field: string, message: string): never {
  throw labError('BAD_USER_INPUT', `${field} ${message}`, { field });
}

/** Reserved alias: always the newest version; cannot be set. */
export const LATEST_ALIAS = 'latest';

/** A list filter checked at the edge, limited to the projects the caller may read. */
export async function catalogFilter(ctx: RegistryContext, args: CatalogFilterArgs | null | undefined): Promise<CatalogFilter> {
  const filter: CatalogFilter = { readable: await ctx.access.readableProjects() };
  if (!args) return filter;
  if (args.projectId !== undefined && args.projectId !== null) {
    if (!isUuid(args.projectId)) bad('filter.projectId', 'must be a project id');
    filter.projectId = args.projectId.toLowerCase();
  }
  if (args.nameSearch !== undefined && args.nameSearch !== null) {
    if (args.nameSearch.length > MAX_NAME_LENGTH) bad('filter.nameSearch', `must be at most ${MAX_NAME_LENGTH} characters`);
    filter.nameSearch = args.nameSearch;
  }
  filter.tags = checkStringMap('filter.tags', args.tags);
  filter.metadataContains = checkJsonObject('filter.metadataContains', args.metadataContains);
  if (args.created?.from) filter.createdFrom = args.created.from;
  if (args.created?.to) filter.createdTo = args.created.to;
  if (filter.createdFrom && filter.createdTo && filter.createdFrom > filter.createdTo) {
    bad('filter.created', 'must have from before to');
  }
  return filter;
}

/** A catalog list as a connection: one keyset page of rows, totalCount on demand. */
export async function catalogConnection<T extends { id: string; createdAt: Date; updatedAt: Date; name: string }>(
  ctx: RegistryContext,
  args: CatalogListArgs,
  list: (filter: CatalogFilter, page: CatalogPage) => Promise<T[]>,
  count: (filter: CatalogFilter) => Promise<number>,
): Promise<Connection<T>> {
  const first = pageSize(args.first);
  const cursor = decodeCursor(args.after);
  const filter = await catalogFilter(ctx, args.filter);
  const sort = SORT_COLUMN[args.orderBy?.field ?? 'CREATED_AT'] ?? 'created_at';
  const direction: Direction = args.orderBy?.direction ?? 'DESC';
  const rows = await list(filter, { sort, direction, cursor, limit: first + 1 });
  const field = sort === 'name' ? 'name' : sort === 'updated_at' ? 'updatedAt' : 'createdAt';
  return pageConnection(rows, first, field, cursor, () => count(filter));
}

/** May the caller read things of this project? */
export function canRead(ctx: RegistryContext, projectId: string): Promise<boolean> {
  return ctx.access.can(projectId, 'VIEWER');
}

/**
 * A page of numbered versions, newest first. Numbers are gapless (1..latest),
 * so the page's numbers are known from the cursor alone and its rows come
 * through the by-number loader: one batched query for every parent in the
 * request. The cursor's value is the version number.
 */
export async function versionNumberPage<T extends { id: string; version: number }>(
  latest: number,
  args: PageArgs,
  load: (numbers: number[]) => Promise<(T | null | Error)[]>,
): Promise<Connection<T>> {
  const first = pageSize(args.first);
  const cursor = decodeCursor(args.after);
  if (cursor !== undefined && (typeof cursor.v !== 'number' || !Number.isInteger(cursor.v))) {
    throw labError('BAD_USER_INPUT', 'after is not a cursor this list gave out', { argument: 'after' });
  }
  const start = cursor !== undefined ? Math.min(latest, (cursor.v as number) - 1) : latest;
  const numbers: number[] = [];
  for (let n = start; n >= 1 && numbers.length < first; n--) numbers.push(n);
  const loaded = await load(numbers);
  const rows = loaded.filter((r): r is T => r !== null && !(r instanceof Error));
  const edges = rows.map((node) => ({ node, cursor: encodeCursor({ v: node.version, id: node.id }) }));
  const lowest = numbers.at(-1) ?? start + 1;
  return {
    edges,
    pageInfo: {
      hasNextPage: lowest > 1 && start >= 1,
      hasPreviousPage: cursor !== undefined,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
    totalCount: async () => latest,
  };
}

/** A positive version number argument. */
export function checkVersionNumber(field: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) bad(field, `must be a positive integer (got ${value})`);
  return value;
}

/** An alias name: a key that is not the reserved "latest". */
export function isReservedAlias(alias: string): boolean {
  return alias.toLowerCase() === LATEST_ALIAS;
}

/** An alias a caller may set: a well-formed key that is not the reserved `latest`. */
export function checkSettableAlias(value: string): string {
  const alias = checkKey('alias', value);
  if (isReservedAlias(alias)) {
    throw labError('BAD_USER_INPUT', `alias "${LATEST_ALIAS}" is reserved: it always means the newest version`, {
      field: 'alias',
    });
  }
  return alias;
}
