/**
 * Pieces of the registry's raw list SQL shared by its stores: keyset page
 * conditions and orders over (sort column, id), time ranges, project scoping,
 * ILIKE substrings. Values are always bound parameters.
 */
import { labError } from '@lab/shared';
import type { Direction } from '../common/pagination';
import { isUuid } from '../common/validation';
import { Prisma } from '../generated/prisma/client';

export interface Sort<F extends string> {
  field: F;
  direction: Direction;
}

/** The (sort value, id) a page starts after; dates as ISO strings. */
export interface KeysetCursor {
  v: string | number | null;
  id: string;
}

export interface TimeRange {
  from?: Date | null;
  to?: Date | null;
}

/** `%`, `_` and `\` matched literally in ILIKE. */
export function likeContaining(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export function and(conditions: Prisma.Sql[]): Prisma.Sql {
  return conditions.length === 0 ? Prisma.sql`TRUE` : Prisma.join(conditions, ' AND ');
}

function cursorValue(column: string, v: KeysetCursor['v']): Prisma.Sql {
  return column === 'name' ? Prisma.sql`${String(v)}::text` : Prisma.sql`${String(v)}::timestamptz`;
}

/** `(alias.column, alias.id) beyond (v, id)` in the sort direction; a cursor of a malformed shape is a user error. */
export function keyset(alias: string, column: string, direction: Direction, cursor: KeysetCursor | undefined): Prisma.Sql[] {
  const beyond = keysetBeyond(alias, column, direction, cursor);
  return beyond ? [beyond] : [];
}

/** The keyset condition alone (undefined without a cursor). */
export function keysetBeyond(
  alias: string,
  column: string,
  direction: Direction,
  cursor: KeysetCursor | undefined,
): Prisma.Sql | undefined {
  if (!cursor) return undefined;
  if (!isUuid(cursor.id) || cursor.v === null || (column !== 'name' && Number.isNaN(Date.parse(String(cursor.v))))) {
    throw labError('BAD_USER_INPUT', 'after is not a cursor this list gave out', { argument: 'after' });
  }
  const cmp = Prisma.raw(direction === 'ASC' ? '>' : '<');
  const col = Prisma.raw(`${alias}.${column}`);
  const id = Prisma.raw(`${alias}.id`);
  return Prisma.sql`(${col}, ${id}) ${cmp} (${cursorValue(column, cursor.v)}, ${cursor.id}::uuid)`;
}

export function orderBy(alias: string, column: string, direction: Direction): Prisma.Sql {
  const dir = direction === 'ASC' ? 'ASC' : 'DESC';
  return Prisma.raw(`${alias}.${column} ${dir}, ${alias}.id ${dir}`);
}

export function timeRange(column: Prisma.Sql, range: TimeRange | undefined): Prisma.Sql[] {
  const out: Prisma.Sql[] = [];
  if (range?.from) out.push(Prisma.sql`${column} >= ${range.from}`);
  if (range?.to) out.push(Prisma.sql`${column} < ${range.to}`);
  return out;
}

export function projectsCondition(column: Prisma.Sql, projects: string[] | 'all'): Prisma.Sql[] {
  return projects === 'all' ? [] : [Prisma.sql`${column} = ANY(${projects}::uuid[])`];
}
