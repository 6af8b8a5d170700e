/** A plain table of rows, one column definition per column (header text, cell of a row). */
import type { ReactNode } from 'react';

export interface Column<Row> {
  header: string;
  cell(row: Row): ReactNode;
  /** Class of the column's cells ("num", "mono", ...); "num" right-aligns its header too. */
  className?: string;
  /** The header is read by screen readers only (e.g. a column of buttons). */
  hiddenHeader?: boolean;
}

export function DataTable<Row extends { id: string }>({
  columns,
  rows,
  caption,
  className = 'plain',
  labelledBy,
}: {
  columns: readonly (Column<Row> | false)[];
  rows: readonly Row[];
  caption?: ReactNode;
  className?: string;
  labelledBy?: string;
}) {
  const shown = columns.filter((c): c is Column<Row> => c !== false);
  return (
    <table className={className} aria-labelledby={labelledBy}>
      {caption !== undefined && <caption>{caption}</caption>}
      <thead>
        <tr>
          {shown.map((c) => (
            <th key={c.header} scope="col" className={c.className === 'num' ? 'num' : undefined}>
              {c.hiddenHeader ? <span className="visually-hidden">{c.header}</span> : c.header}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={row.id}>
            {shown.map((c) => (
              <td key={c.header} className={c.className}>
                {c.cell(row)}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
