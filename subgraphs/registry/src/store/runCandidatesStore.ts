/**
 * The registry's half of a run list filtered or ordered by metrics: the runs
 * that pass the registry's own conditions (access, RunFilter, the search
 * language's SQL part), as the metrics service needs them, in ONE query —
 * their ids, their group (the experiment, for nested lists of many
 * experiments), the flags the metric condition refers to, and, for a list in
 * a registry order, their position and where the page starts.
 */
import type pg from 'pg';
import { Prisma } from '../generated/prisma/client';
import {
  type NestedRunQuery,
  nestedRunConditions,
  RUN_COLUMNS,
  type RunQuery,
  type RunSortField,
  runConditionsWithoutJoin,
} from './runQueries';
import { and, type KeysetCursor, keysetBeyond, orderBy, type Sort } from './sqlFragments';

export type CandidateScope = { query: RunQuery } | { experimentIds: readonly string[]; query: NestedRunQuery };

export interface CandidateOptions {
  /** Conditions computed per run, in order (each becomes one character of `flags`). */
  flags: Prisma.Sql[];
  /** A registry order to keep (runs sent in it, with where the page starts); none for a metric order. */
  order?: { sort: Sort<RunSortField>; cursor: KeysetCursor | undefined };
  /** Most candidates taken; one more is read to tell that there are more. */
  limit: number;
}

export interface Candidates {
  runIds: string[];
  /** Per run: the index of its experiment in `experimentIds` (0 for a top-level list). */
  groups: number[];
  /** Per run: '1' or '0' per flag; empty strings without flags. */
  flags: string[];
  /** With an order: per group, the index of its first run after the cursor. */
  firstAfter?: number[];
  /** More runs passed than `limit`. */
  overflow: boolean;
}

function flagsColumn(flags: Prisma.Sql[]): Prisma.Sql {
  if (flags.length === 0) return Prisma.sql`''`;
  return Prisma.join(
    flags.map((f) => Prisma.sql`(CASE WHEN (${f}) IS TRUE THEN '1' ELSE '0' END)`),
    ' || ',
  );
}

/**
 * Reads through the pg pool itself rather than Prisma, and as ONE row: the
 * candidates' columns aggregated into strings (ids and experiment ids comma
 * separated, flags and "after the cursor" as fixed-width 0/1 runs) in the
 * order of the list. Thousands of rows mapped one by one cost more than the
 * query itself.
 */
export class RunCandidatesStore {
  constructor(private readonly pool: pg.Pool) {}

  async candidates(scope: CandidateScope, options: CandidateOptions): Promise<Candidates> {
    const nested = 'experimentIds' in scope;
    const experimentIds = nested ? scope.experimentIds.map((id) => id.toLowerCase()) : [];
    const where = nested
      ? and([Prisma.sql`r.experiment_id = ANY(${experimentIds}::uuid[])`, ...nestedRunConditions(scope.query)])
      : and(runConditionsWithoutJoin(scope.query));
    const { order } = options;
    const column = order ? RUN_COLUMNS[order.sort.field] : undefined;
    const beyond = order && column ? keysetBeyond('r', column, order.sort.direction, order.cursor) : undefined;
    // The runs (at most limit + 1, in the list's order when it has one), then their columns aggregated in that order.
    const inner = [Prisma.sql`r.id AS id`, Prisma.sql`r.experiment_id AS eid`];
    let sorted = Prisma.empty;
    let aggregateOrder = Prisma.empty;
    if (order && column) {
      const dir = order.sort.direction === 'ASC' ? 'ASC' : 'DESC';
      inner.push(Prisma.raw(`r.${column} AS sk`));
      const within = orderBy('r', column, order.sort.direction);
      sorted = nested ? Prisma.sql`ORDER BY r.experiment_id, ${within}` : Prisma.sql`ORDER BY ${within}`;
      aggregateOrder = Prisma.raw(` ORDER BY ${nested ? 'c.eid, ' : ''}c.sk ${dir}, c.id ${dir}`);
    }
    const outer = [Prisma.sql`count(*)::int AS n`, Prisma.sql`string_agg(c.id::text, ','${aggregateOrder}) AS ids`];
    if (nested) outer.push(Prisma.sql`string_agg(c.eid::text, ','${aggregateOrder}) AS eids`);
    if (options.flags.length > 0) {
      inner.push(Prisma.sql`${flagsColumn(options.flags)} AS flags`);
      outer.push(Prisma.sql`string_agg(c.flags, ''${aggregateOrder}) AS flags`);
    }
    if (beyond) {
      inner.push(Prisma.sql`${beyond} AS beyond`);
      outer.push(Prisma.sql`string_agg(CASE WHEN c.beyond THEN '1' ELSE '0' END, ''${aggregateOrder}) AS beyond`);
    }
    const query = Prisma.sql`SELECT ${Prisma.join(outer, ', ')} FROM (
      SELECT ${Prisma.join(inner, ', ')} FROM runs r WHERE ${where} ${sorted} LIMIT ${options.limit + 1}
    ) c`;
    const { rows } = await this.pool.query<{ n: number; ids: string | null; eids?: string; flags?: string; beyond?: string }>(
      query.text,
      query.values,
    );
    const row = rows[0];
    const count = Math.min(row?.n ?? 0, options.limit);
    const out: Candidates = { runIds: [], groups: [], flags: [], overflow: (row?.n ?? 0) > options.limit };
    if (!row || count === 0) {
      if (order) out.firstAfter = Array.from({ length: nested ? experimentIds.length : 1 }, () => 0);
      return out;
    }
    out.runIds = (row.ids ?? '').split(',', count);
    const groupOf = new Map(experimentIds.map((id, i) => [id, i]));
    out.groups = nested ? (row.eids ?? '').split(',', count).map((id) => groupOf.get(id) ?? 0) : out.runIds.map(() => 0);
    const width = options.flags.length;
    out.flags =
      width > 0 ? out.runIds.map((_, i) => (row.flags ?? '').slice(i * width, (i + 1) * width)) : out.runIds.map(() => '');
    if (order) {
      // Each group's runs are contiguous and in order, so those after the cursor are its tail.
      const groupCount = nested ? experimentIds.length : 1;
      const firstAfter = Array.from({ length: groupCount }, () => -1);
      const ends = Array.from({ length: groupCount }, () => 0);
      out.groups.forEach((group, i) => {
        ends[group] = i + 1;
        if ((row.beyond === undefined || row.beyond[i] === '1') && firstAfter[group] === -1) firstAfter[group] = i;
      });
      out.firstAfter = firstAfter.map((first, group) => (first === -1 ? (ends[group] as number) : first));
    }
    return out;
  }
}
