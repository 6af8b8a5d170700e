/**
 * The runs table, virtualised: only the rows in view are in the DOM, so
 * 10,000 runs scroll smoothly; rows past the loaded pages show as loading
 * and ask for the next pages. Headers of sortable columns are buttons that
 * sort on the server; arrow keys move between rows.
 */
import { flexRender, getCoreRowModel, useReactTable } from '@tanstack/react-table';
import { useVirtualizer } from '@tanstack/react-virtual';
import { type KeyboardEvent, useEffect, useMemo, useRef } from 'react';
import { type ColumnChoice, runColumns } from './runColumns';
import { type RunSort, sortColumnId, sortKeyOf } from './runOrder';
import type { RunRow } from './useRunPages';

const ROW_HEIGHT = 34;

export interface RunsTableProps {
  rows: RunRow[];
  totalCount: number;
  choice: ColumnChoice;
  sort: RunSort;
  onSort(columnId: string): void;
  selected: ReadonlySet<string>;
  onToggle(runId: string): void;
  loadThrough(index: number): void;
  /** A new value (a new filter or sort) scrolls back to the top. */
  resetKey: string;
}

export function RunsTable({ rows, totalCount, choice, sort, onSort, selected, onToggle, loadThrough, resetKey }: RunsTableProps) {
  const columns = useMemo(() => runColumns(choice), [choice]);
  const table = useReactTable({
    data: rows,
    columns,
    getCoreRowModel: getCoreRowModel(),
    manualSorting: true,
    getRowId: (r) => r.id,
  });
  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: totalCount,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
  });
  // biome-ignore lint/correctness/useExhaustiveDependencies: resetKey is the trigger
  useEffect(() => {
    scrollRef.current?.scrollTo({ top: 0 });
  }, [resetKey]);
  const items = virtualizer.getVirtualItems();
  const last = items[items.length - 1]?.index ?? 0;
  useEffect(() => {
    if (last + 1 > rows.length) loadThrough(last + 1 + 100);
  }, [last, rows.length, loadThrough]);

  const sortedId = sortColumnId(sort.key);
  const modelRows = table.getRowModel().rows;
  const paddingTop = items[0]?.start ?? 0;
  const paddingBottom = virtualizer.getTotalSize() - (items[items.length - 1]?.end ?? 0);
  const leafColumns = table.getVisibleLeafColumns();

  function onKeyDown(event: KeyboardEvent<HTMLDivElement>) {
    if (event.key !== 'ArrowDown' && event.key !== 'ArrowUp') return;
    const row = (event.target as HTMLElement).closest('tr[data-index]');
    if (!row) return;
    event.preventDefault();
    const next = Number(row.getAttribute('data-index')) + (event.key === 'ArrowDown' ? 1 : -1);
    if (next < 0 || next >= totalCount) return;
    virtualizer.scrollToIndex(next);
    requestAnimationFrame(() => scrollRef.current?.querySelector<HTMLElement>(`tr[data-index="${next}"] a`)?.focus());
  }

  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: arrow keys move focus between the rows' links (the interactive elements)
    <div className="runs-scroll" ref={scrollRef} onKeyDown={onKeyDown}>
      <table className="runs" aria-rowcount={totalCount + 1} aria-label="Runs">
        <colgroup>
          {leafColumns.map((c) => (
            <col key={c.id} style={{ width: c.getSize() }} />
          ))}
        </colgroup>
        <thead>
          {table.getHeaderGroups().map((group) => (
            <tr key={group.id} aria-rowindex={1}>
              {group.headers.map((header) => {
                const id = header.column.id;
                const sortable = sortKeyOf(id) !== null;
                const active = sortedId === id;
                const label = flexRender(header.column.columnDef.header, header.getContext());
                return (
                  <th
                    key={header.id}
                    scope="col"
                    aria-sort={active ? (sort.direction === 'ASC' ? 'ascending' : 'descending') : undefined}
                  >
                    {id === 'select' ? (
                      <span className="visually-hidden">{label}</span>
                    ) : sortable ? (
                      <button type="button" className="sort" onClick={() => onSort(id)}>
                        {label}
                        <span aria-hidden="true">{active ? (sort.direction === 'ASC' ? ' ▲' : ' ▼') : ''}</span>
                      </button>
                    ) : (
                      label
                    )}
                  </th>
                );
              })}
            </tr>
          ))}
        </thead>
        <tbody>
          {paddingTop > 0 && (
            <tr className="spacer-row">
              <td colSpan={leafColumns.length} style={{ height: paddingTop }} />
            </tr>
          )}
          {items.map((item) => {
            const row = modelRows[item.index];
            if (!row) {
              return (
                <tr key={`loading-${item.index}`} data-index={item.index} aria-rowindex={item.index + 2} className="loading-row">
                  <td colSpan={leafColumns.length} style={{ height: ROW_HEIGHT }}>
                    Loading…
                  </td>
                </tr>
              );
            }
            const isSelected = selected.has(row.id);
            return (
              <tr
                key={row.id}
                data-index={item.index}
                aria-rowindex={item.index + 2}
                aria-selected={isSelected}
                className={isSelected ? 'selected' : undefined}
                style={{ height: ROW_HEIGHT }}
              >
                {row.getVisibleCells().map((cell) => (
                  <td
                    key={cell.id}
                    className={(cell.column.columnDef.meta as { numeric?: boolean })?.numeric ? 'num' : undefined}
                  >
                    {cell.column.id === 'select' ? (
                      <input
                        type="checkbox"
                        checked={isSelected}
                        onChange={() => onToggle(row.id)}
                        aria-label={`Select ${row.original.name}`}
                      />
                    ) : (
                      flexRender(cell.column.columnDef.cell, cell.getContext())
                    )}
                  </td>
                ))}
              </tr>
            );
          })}
          {paddingBottom > 0 && (
            <tr className="spacer-row">
              <td colSpan={leafColumns.length} style={{ height: paddingBottom }} />
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}
