/** A table with one column per compared run (headed by its name) after a first column of row headers. */
import type { ReactNode } from 'react';

export function SideBySideTable({
  runs,
  firstHeader,
  labelledBy,
  children,
}: {
  runs: readonly { id: string; name: string }[];
  firstHeader: string;
  labelledBy?: string;
  /** The body's rows. */
  children: ReactNode;
}) {
  return (
    <div className="table-scroll">
      <table className="plain diff-table" aria-labelledby={labelledBy}>
        <thead>
          <tr>
            <th scope="col">{firstHeader}</th>
            {runs.map((run) => (
              <th scope="col" key={run.id}>
                {run.name}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}
