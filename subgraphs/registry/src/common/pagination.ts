/**
 * Relay connections over keyset pagination: a page is ordered by one sort
 * field then id, and a cursor is the (value, id) of its last row, so pages stay
 * stable while rows are added and cost the same at any depth.
 */
import { labError } from '@lab/shared';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export type Direction = 'ASC' | 'DESC';

export interface PageArgs {
  first?: number | null;
  after?: string | null;
}

export interface Cursor {
  /** The sort field's value of the row (ISO string for dates). */
  v: string | number | null;
  id: string;
}

export function pageSize(first: number | null | undefined): number {
  if (first === undefined || first === null) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 0 || first > MAX_PAGE_SIZE) {
    throw labError('BAD_USER_INPUT', `first must be an integer from 0 to ${MAX_PAGE_SIZE} (got ${first})`, { argument: 'first' });
  }
  return first;
}

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.v, cursor.id])).toString('base64url');
}

export function decodeCursor(after: string | null | undefined): Cursor | undefined {
  if (after === undefined || after === null || after === '') return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(after, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(parsed) && parsed.length === 2 && typeof parsed[1] === 'string') {
      const [v, id] = parsed as [unknown, string];
      if (v === null || typeof v === 'string' || typeof v === 'number') return { v, id };
    }
  } catch {
    // fall through
  }
  throw labError('BAD_USER_INPUT', 'after is not a cursor this list gave out', { argument: 'after' });
}

export interface Edge<T> {
  node: T;
  cursor: string;
}

export interface Connection<T> {
  edges: Edge<T>[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  /** Counted only when the field is asked for. */
  totalCount: () => Promise<number>;
}

/** Builds a connection from up to first+1 rows fetched in page order. */
export function toConnection<T extends { id: string }>(
  rows: T[],
  first: number,
  sortValue: (row: T) => string | number | null,
  totalCount: () => Promise<number>,
  hasPrevious: boolean,
): Connection<T> {
  const page = rows.slice(0, first);
  const edges = page.map((node) => ({ node, cursor: encodeCursor({ v: sortValue(node), id: node.id }) }));
  return {
    edges,
    pageInfo: {
      hasNextPage: rows.length > first,
      hasPreviousPage: hasPrevious,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
    totalCount,
  };
}

/**
 * A keyset page as a connection: `rows` holds up to first + 1 rows in page order, sorted by `sortField` then id;
 * the total is counted by `count` at most once, and only when a client asks for totalCount.
 */
export function pageConnection<T extends { id: string }>(
  rows: T[],
  first: number,
  sortField: keyof T,
  cursor: Cursor | undefined,
  count: () => Promise<number>,
): Connection<T> {
  let total: Promise<number> | undefined;
  return toConnection(
    rows,
    first,
    (row) => sortValueOf(row[sortField]),
    () => (total ??= count()),
    cursor !== undefined,
  );
}

/**
 * Prisma arguments for one keyset page: order by field then id, and start
 * after the cursor: (field, id) beyond (v, id) in the sort direction.
 */
export function keysetArgs(
  field: string,
  direction: Direction,
  cursor: Cursor | undefined,
  first: number,
  toValue: (v: Cursor['v']) => unknown = (v) => v,
) {
  const dir = direction === 'ASC' ? 'asc' : 'desc';
  const beyond = direction === 'ASC' ? 'gt' : 'lt';
  const after = cursor
    ? { OR: [{ [field]: { [beyond]: toValue(cursor.v) } }, { [field]: toValue(cursor.v), id: { [beyond]: cursor.id } }] }
    : undefined;
  return { orderBy: [{ [field]: dir }, { id: dir }], take: first + 1, after };
}

/** A cursor value for a date or plain field. */
export function sortValueOf(value: unknown): string | number | null {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'string' || typeof value === 'number') return value;
  return null;
}
