/**
 * The SQL of run lists, shared by the stores that read runs (experiments,
 * ranked candidates): the columns of a run, the conditions of RunFilter and
 * the search language over `runs r` (joined with `experiments e` for project
 * scoping). Runs marked deleted, or of an experiment marked deleted, are gone
 * for every reader.
 */

import { labError } from '@lab/shared';
import type { Direction } from '../common/pagination';
import { isUuid } from '../common/validation';
import type { Prisma as PrismaTypes, Run } from '../generated/prisma/client';
import { Prisma } from '../generated/prisma/client';
import { type KeysetCursor, likeContaining, projectsCondition, type TimeRange, timeRange } from './sqlFragments';

/** A run with the project of its experiment (for access checks). */
export type RunRow = Run & { projectId: string };

/** Where a run's code came from, as its columns hold it (each part null when not given). */
export interface RunSourceColumns {
  sourceCommit: string | null;
  sourceBranch: string | null;
  sourceDirty: boolean | null;
  sourceEntryPoint: string | null;
  sourceHost: string | null;
}

export type RunSortField = 'startTime' | 'createdAt' | 'name' | 'status' | 'duration' | 'author' | 'param';
/** The orders that are one column of `runs`, answered by its indexes (and by the ranked candidates). */
export const RUN_COLUMNS: Partial<Record<RunSortField, string>> = {
  startTime: 'start_time',
  createdAt: 'created_at',
  name: 'name',
};

/** A run order: its field, and the param key when the field is `param`. */
export interface RunSort {
  field: RunSortField;
  direction: Direction;
  param?: string;
}

/**
 * What a run order sorts by, over `runs r`: a SQL value, the type a cursor's value is cast to, and whether it can be
 * null (nulls come last in both directions). Durations are milliseconds from start to end; running runs have none.
 * Authors are the creator's name (their email when the name is empty). A param orders by its JSON value as
 * PostgreSQL orders jsonb: numbers numerically, strings as text, values of different JSON types grouped by type;
 * runs without it (or with JSON null) have none.
 */
function runSortValue(sort: RunSort): {
  value: Prisma.Sql;
  cast: 'timestamptz' | 'text' | 'float8' | 'jsonb';
  nullable: boolean;
} {
  const column = RUN_COLUMNS[sort.field];
  if (column) return { value: Prisma.raw(`r.${column}`), cast: column === 'name' ? 'text' : 'timestamptz', nullable: false };
  switch (sort.field) {
    case 'status':
      return { value: Prisma.sql`r.status::text`, cast: 'text', nullable: false };
    case 'duration':
      return {
        value: Prisma.sql`(EXTRACT(EPOCH FROM (r.end_time - r.start_time)) * 1000)::float8`,
        cast: 'float8',
        nullable: true,
      };
    case 'author':
      return {
        value: Prisma.sql`(SELECT COALESCE(NULLIF(u.name, ''), u.email) FROM users u WHERE u.id = r.created_by_id)`,
        cast: 'text',
        nullable: true,
      };
    default:
      return { value: Prisma.sql`NULLIF(r.params -> ${sort.param ?? ''}::text, 'null'::jsonb)`, cast: 'jsonb', nullable: true };
  }
}

/** The sort value of each row as a column "sortKey" (jsonb as its text), what the row's cursor holds. */
export function runSortKey(sort: RunSort): Prisma.Sql {
  const { value, cast } = runSortValue(sort);
  return cast === 'jsonb' ? Prisma.sql`(${value})::text AS "sortKey"` : Prisma.sql`${value} AS "sortKey"`;
}

/** `ORDER BY` of a run order: its value (nulls last), then id. */
export function runOrderBy(sort: RunSort): Prisma.Sql {
  const { value, nullable } = runSortValue(sort);
  const dir = Prisma.raw(sort.direction === 'ASC' ? 'ASC' : 'DESC');
  return nullable ? Prisma.sql`${value} ${dir} NULLS LAST, r.id ${dir}` : Prisma.sql`${value} ${dir}, r.id ${dir}`;
}

function notOurs(): never {
  throw labError('BAD_USER_INPUT', 'after is not a cursor this list gave out', { argument: 'after' });
}

/** The rows after a cursor in a run order (undefined without a cursor); a cursor of another shape is a user error. */
export function runKeyset(sort: RunSort, cursor: KeysetCursor | undefined): Prisma.Sql | undefined {
  if (!cursor) return undefined;
  const { value, cast, nullable } = runSortValue(sort);
  if (!isUuid(cursor.id)) notOurs();
  const cmp = Prisma.raw(sort.direction === 'ASC' ? '>' : '<');
  if (cursor.v === null) {
    if (!nullable) notOurs();
    return Prisma.sql`(${value} IS NULL AND r.id ${cmp} ${cursor.id}::uuid)`;
  }
  const v = cursor.v;
  if (cast === 'float8' ? typeof v !== 'number' : typeof v !== 'string') notOurs();
  if (cast === 'timestamptz' && Number.isNaN(Date.parse(String(v)))) notOurs();
  if (cast === 'jsonb') {
    try {
      JSON.parse(String(v));
    } catch {
      notOurs();
    }
  }
  const beyond = Prisma.sql`(${value}, r.id) ${cmp} (${v}::${Prisma.raw(cast)}, ${cursor.id}::uuid)`;
  return nullable ? Prisma.sql`(${beyond} OR ${value} IS NULL)` : beyond;
}

export interface RunQuery {
  projects: string[] | 'all';
  experimentId?: string;
  projectId?: string;
  status?: Run['status'][];
  tags?: Record<string, string>;
  paramsContains?: Record<string, unknown>;
  nameSearch?: string;
  started?: TimeRange;
  /** A compiled search-language fragment over `runs r`. */
  search?: PrismaTypes.Sql;
}

/** The run filters that apply within one experiment (nested lists). */
export type NestedRunQuery = Omit<RunQuery, 'projects' | 'experimentId' | 'projectId'>;

export const RUN_SELECT = Prisma.sql`r.id, r.experiment_id AS "experimentId", r.name, r.status::text AS status, r.params, r.tags,
  r.config, r.notes, r.start_time AS "startTime", r.end_time AS "endTime", r.created_by_id AS "createdById",
  r.created_at AS "createdAt", r.updated_at AS "updatedAt", r.source_commit AS "sourceCommit",
  r.source_branch AS "sourceBranch", r.source_dirty AS "sourceDirty", r.source_entry_point AS "sourceEntryPoint",
  r.source_host AS "sourceHost", r.deleted_at AS "deletedAt"`;

/** Deleted experiments (and their runs) are gone for every reader while their deletion saga runs. */
export const LIVE_EXPERIMENT = Prisma.sql`e.deleted_at IS NULL`;
/** So are deleted runs while theirs runs. */
export const LIVE_RUN = Prisma.sql`r.deleted_at IS NULL`;

export function nestedRunConditions(q: NestedRunQuery): Prisma.Sql[] {
  const c: Prisma.Sql[] = [LIVE_RUN];
  if (q.status && q.status.length > 0) c.push(Prisma.sql`r.status::text = ANY(${q.status}::text[])`);
  if (q.tags && Object.keys(q.tags).length > 0) c.push(Prisma.sql`r.tags @> ${JSON.stringify(q.tags)}::jsonb`);
  if (q.paramsContains && Object.keys(q.paramsContains).length > 0) {
    c.push(Prisma.sql`r.params @> ${JSON.stringify(q.paramsContains)}::jsonb`);
  }
  if (q.nameSearch) c.push(Prisma.sql`r.name ILIKE ${likeContaining(q.nameSearch)}`);
  c.push(...timeRange(Prisma.sql`r.start_time`, q.started));
  if (q.search) c.push(Prisma.sql`(${q.search})`);
  return c;
}

/** What a run's experiment (`e`) must be: live, in a readable project, in the project asked. */
function experimentConditions(q: RunQuery): Prisma.Sql[] {
  const c: Prisma.Sql[] = [LIVE_EXPERIMENT, ...projectsCondition(Prisma.sql`e.project_id`, q.projects)];
  if (q.projectId) c.push(Prisma.sql`e.project_id = ${q.projectId}::uuid`);
  return c;
}

/** Runs joined with their experiment (`e`) so project scoping applies. */
export function runConditions(q: RunQuery): Prisma.Sql[] {
  const c: Prisma.Sql[] = experimentConditions(q);
  if (q.experimentId) c.push(Prisma.sql`r.experiment_id = ${q.experimentId}::uuid`);
  c.push(...nestedRunConditions(q));
  return c;
}

/**
 * The same conditions over `runs r` alone, for reads of thousands of runs,
 * where a join may check the experiment once per run: with an experiment
 * asked, its conditions are an uncorrelated EXISTS (checked once); otherwise
 * a semi-join (`r.experiment_id IN (SELECT e.id ...)`).
 */
export function runConditionsWithoutJoin(q: RunQuery): Prisma.Sql[] {
  const experiments = experimentConditions(q);
  const c: Prisma.Sql[] = [];
  if (q.experimentId) {
    const id = Prisma.sql`${q.experimentId}::uuid`;
    c.push(Prisma.sql`EXISTS (SELECT 1 FROM experiments e WHERE e.id = ${id} AND ${Prisma.join(experiments, ' AND ')})`);
    c.push(Prisma.sql`r.experiment_id = ${id}`);
  } else {
    c.push(Prisma.sql`r.experiment_id IN (SELECT e.id FROM experiments e WHERE ${Prisma.join(experiments, ' AND ')})`);
  }
  c.push(...nestedRunConditions(q));
  return c;
}
