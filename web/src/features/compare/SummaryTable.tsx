/**
 * The compared runs' metric summaries side by side: one row per metric with
 * each run's last value (min and max in the cell's title), the chosen
 * metrics first.
 */
import { formatNumber } from '../../components/status';
import { SideBySideTable } from './SideBySideTable';

export interface SummaryRun {
  id: string;
  name: string;
  metrics?: readonly { name: string; last: number; min: number; max: number }[] | null;
}

export function SummaryTable({
  runs,
  first,
  labelledBy,
}: {
  runs: readonly SummaryRun[];
  first: readonly string[];
  labelledBy: string;
}) {
  const names = [...new Set(runs.flatMap((r) => (r.metrics ?? []).map((m) => m.name)))].sort(
    (a, b) => Number(!first.includes(a)) - Number(!first.includes(b)) || (a < b ? -1 : a > b ? 1 : 0),
  );
  if (names.length === 0) return <p className="muted">No metric logged.</p>;
  const byRun = runs.map((r) => new Map((r.metrics ?? []).map((m) => [m.name, m])));
  return (
    <SideBySideTable runs={runs} firstHeader="Metric (last)" labelledBy={labelledBy}>
      {names.map((name) => (
        <tr key={name}>
          <th scope="row">{name}</th>
          {byRun.map((metrics, i) => {
            const m = metrics.get(name);
            return (
              <td
                key={runs[i]?.id}
                className="num"
                title={m ? `min ${formatNumber(m.min)}, max ${formatNumber(m.max)}` : undefined}
              >
                {m ? formatNumber(m.last) : <span className="muted">—</span>}
              </td>
            );
          })}
        </tr>
      ))}
    </SideBySideTable>
  );
}
