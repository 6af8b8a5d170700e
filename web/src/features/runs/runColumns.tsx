/**
 * The runs table's columns (TanStack Table definitions): selection, status,
 * name, author, start, duration, chosen params, config, tags, and last, min
 * and max of each chosen metric. Column ids are the sort ids of runOrder.ts
 * (`status`, `name`, `author`, `start_time`, `duration`, `param:<key>`,
 * `metric:<aggregate>:<name>`): the server orders by each of them.
 */
import { type ColumnDef, createColumnHelper } from '@tanstack/react-table';
import { Link } from 'wouter';
import { paths } from '../../app/paths';
import { formatDuration, formatNumber, formatTime, StatusBadge } from '../../components/status';
import type { RunRow } from './useRunPages';

const column = createColumnHelper<RunRow>();

export interface ColumnChoice {
  params: string[];
  metrics: string[];
}

/** A compact one-line JSON for a cell (the whole value in its title). */
function compactJson(value: Record<string, unknown>): string {
  const text = JSON.stringify(value);
  return text === '{}' ? '' : text;
}

function metricOf(run: RunRow, name: string) {
  return run.metrics?.find((m) => m.name === name);
}

export function runColumns(choice: ColumnChoice): ColumnDef<RunRow, unknown>[] {
  const columns = [
    column.display({ id: 'select', header: 'Select', size: 44 }),
    column.accessor('status', { id: 'status', header: 'Status', size: 100, cell: (c) => <StatusBadge status={c.getValue()} /> }),
    column.accessor('name', {
      id: 'name',
      header: 'Name',
      size: 220,
      cell: (c) => <Link href={paths.run(c.row.original.id)}>{c.getValue()}</Link>,
    }),
  ] as ColumnDef<RunRow, unknown>[];
  // The chosen metrics first, where the eye looks: last, min and max of each.
  for (const name of choice.metrics) {
    for (const aggregate of ['last', 'min', 'max'] as const) {
      columns.push(
        column.accessor((run) => metricOf(run, name)?.[aggregate] ?? null, {
          id: `metric:${aggregate}:${name}`,
          header: `${name} (${aggregate})`,
          size: 110,
          cell: (c) => formatNumber(c.getValue() as number | null),
          meta: { numeric: true },
        }) as ColumnDef<RunRow, unknown>,
      );
    }
  }
  columns.push(
    column.accessor((run) => run.createdBy.name || run.createdBy.email, {
      id: 'author',
      header: 'Author',
      size: 140,
    }) as ColumnDef<RunRow, unknown>,
    column.accessor('startTime', {
      id: 'start_time',
      header: 'Started',
      size: 170,
      cell: (c) => formatTime(c.getValue()),
    }) as ColumnDef<RunRow, unknown>,
    column.accessor('duration', {
      id: 'duration',
      header: 'Duration',
      size: 90,
      cell: (c) => formatDuration(c.getValue()),
    }) as ColumnDef<RunRow, unknown>,
  );
  for (const key of choice.params) {
    columns.push(
      column.accessor((run) => String(run.params[key] ?? ''), {
        id: `param:${key}`,
        header: `params.${key}`,
        size: 110,
      }) as ColumnDef<RunRow, unknown>,
    );
  }
  columns.push(
    column.accessor((run) => compactJson(run.config), {
      id: 'config',
      header: 'Config',
      size: 180,
      cell: (c) => <span title={String(c.getValue())}>{String(c.getValue())}</span>,
    }) as ColumnDef<RunRow, unknown>,
    column.accessor('tags', {
      id: 'tags',
      header: 'Tags',
      size: 160,
      cell: (c) =>
        Object.entries(c.getValue()).map(([k, v]) => (
          <span key={k} className="tag">
            {k}={String(v)}
          </span>
        )),
    }) as ColumnDef<RunRow, unknown>,
  );
  return columns;
}

/** The param keys of the loaded runs, most common first (at most `limit`). */
export function commonParamKeys(rows: RunRow[], limit = 6): string[] {
  const counts = new Map<string, number>();
  for (const run of rows.slice(0, 500)) for (const key of Object.keys(run.params)) counts.set(key, (counts.get(key) ?? 0) + 1);
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, limit)
    .map(([key]) => key);
}
