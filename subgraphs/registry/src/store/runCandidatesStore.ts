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
  runConditions,
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
 * Reads through the pg pool itself rather than Prisma: thousands of rows of
 * one or two columns, where Prisma's row mapping was a measurable part of the
 * request (the SQL is the same Prisma.Sql, its text and values bound by pg).
 */
export class RunCandidatesStore {
  constructor(private readonly pool: pg.Pool) {}

  async candidates(scope: CandidateScope, options: CandidateOptions): Promise<Candidates> {
    const nested = 'experimentIds' in scope;
    const experimentIds = nested ? scope.experimentIds.map((id) => id.toLowerCase()) : [];
    const where = nested
      ? and([Prisma.sql`r.experiment_id = ANY(${experimentIds}::uuid[])`, ...nestedRunConditions(scope.query)])
      : and(runConditions(scope.query));
    const from = nested ? Prisma.sql`runs r` : Prisma.sql`runs r JOIN experiments e ON e.id = r.experiment_id`;
    const { order } = options;
    const column = order ? RUN_COLUMNS[order.sort.field] : undefined;
    const beyond = order && column ? keysetBeyond('r', column, order.sort.direction, order.cursor) : undefined;
    let sorted = Prisma.empty;
    if (order && column) {
      const within = orderBy('r', column, order.sort.direction);
      sorted = nested ? Prisma.sql`ORDER BY r.experiment_id, ${within}` : Prisma.sql`ORDER BY ${within}`;
    }
    // Only the columns this list needs: thousands of rows come back.
    const columns = [Prisma.sql`r.id::text AS id`];
    if (nested) columns.push(Prisma.sql`r.experiment_id::text AS "experimentId"`);
    if (options.flags.length > 0) columns.push(Prisma.sql`${flagsColumn(options.flags)} AS flags`);
    if (beyond) columns.push(Prisma.sql`${beyond} AS beyond`);
    const query = Prisma.sql`SELECT ${Prisma.join(columns, ', ')} FROM ${from} WHERE ${where} ${sorted} LIMIT ${options.limit + 1}`;
    const { rows } = await this.pool.query<{ id: string; experimentId?: string; flags?: string; beyond?: boolean }>(
      query.text,
      query.values,
    );
    const overflow = rows.length > options.limit;
    if (overflow) rows.length = options.limit;
    const groupOf = new Map(experimentIds.map((id, i) => [id, i]));
    const out: Candidates = { runIds: [], groups: [], flags: [], overflow };
    for (const row of rows) {
      out.runIds.push(row.id);
      out.groups.push(nested ? (groupOf.get(row.experimentId ?? '') ?? 0) : 0);
      out.flags.push(row.flags ?? '');
    }
    if (order) {
      // Each group's runs are contiguous and in order, so those after the cursor are its tail.
      const groupCount = nested ? experimentIds.length : 1;
      const firstAfter = Array.from({ length: groupCount }, () => -1);
      const ends = Array.from({ length: groupCount }, () => 0);
      rows.forEach((row, i) => {
        const group = out.groups[i] as number;
        ends[group] = i + 1;
        if ((row.beyond ?? true) && firstAfter[group] === -1) firstAfter[group] = i;
      });
      out.firstAfter = firstAfter.map((first, group) => (first === -1 ? (ends[group] as number) : first));
    }
    return out;
  }
}
