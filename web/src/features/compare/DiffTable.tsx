/**
 * The params/config diff of compared runs: by default only the keys whose
 * values differ (highlighted), with a switch to show every key.
 */
import { useMemo, useState } from 'react';
import { type DiffInput, diffRows } from './paramDiff';
import { SideBySideTable } from './SideBySideTable';

export interface DiffRun extends DiffInput {
  id: string;
  name: string;
}

export function DiffTable({ runs, labelledBy }: { runs: readonly DiffRun[]; labelledBy?: string }) {
  const [showAll, setShowAll] = useState(false);
  const rows = useMemo(() => diffRows(runs), [runs]);
  const differing = rows.filter((r) => r.differs).length;
  const shown = showAll ? rows : rows.filter((r) => r.differs);
  return (
    <div className="diff">
      <label className="switch">
        <input type="checkbox" checked={showAll} onChange={(e) => setShowAll(e.target.checked)} />
        Show all {rows.length} keys ({differing} differ)
      </label>
      {shown.length === 0 ? (
        <p className="muted">{rows.length === 0 ? 'No params or config.' : 'Every param and config key is the same.'}</p>
      ) : (
        <SideBySideTable runs={runs} firstHeader="Key" labelledBy={labelledBy}>
          {shown.map((row) => (
            <tr key={row.key} className={row.differs ? 'differs' : undefined}>
              <th scope="row">
                {row.key}
                {row.differs && <span className="visually-hidden"> (differs)</span>}
              </th>
              {row.values.map((value, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: one cell per run, in the runs' order
                <td key={i}>{value ?? <span className="muted">—</span>}</td>
              ))}
            </tr>
          ))}
        </SideBySideTable>
      )}
    </div>
  );
}
