/**
 * The compare page's metric picker: a checkbox per metric name the runs
 * logged, at most MAX_METRICS_PER_CALL chosen (one compareRuns call), and a
 * filter box once the names are many (the chosen ones always stay listed).
 */
import { useState } from 'react';
import { MAX_METRICS_PER_CALL } from './overlay';

/** Metric names to show a filter box for (W&B-style runs log hundreds). */
const PICKER_FILTER_FROM = 16;

export function MetricPicker({ all, chosen, onChange }: { all: string[]; chosen: string[]; onChange(next: string[]): void }) {
  const [filter, setFilter] = useState('');
  if (all.length === 0) return <p className="muted">These runs logged no metric.</p>;
  const full = chosen.length >= MAX_METRICS_PER_CALL;
  const needle = filter.trim().toLowerCase();
  const shown = needle ? all.filter((name) => chosen.includes(name) || name.toLowerCase().includes(needle)) : all;
  return (
    <fieldset className="metric-picker">
      <legend>
        Metrics <span className="muted">(up to {MAX_METRICS_PER_CALL})</span>
      </legend>
      {all.length >= PICKER_FILTER_FROM && (
        <label className="picker-filter">
          <span className="visually-hidden">Find a metric</span>
          <input
            type="search"
            placeholder={`Find among ${all.length} metrics`}
            value={filter}
            onChange={(e) => setFilter(e.target.value)}
          />
        </label>
      )}
      {shown.map((name) => {
        const on = chosen.includes(name);
        return (
          <label key={name}>
            <input
              type="checkbox"
              checked={on}
              disabled={!on && full}
              onChange={() => onChange(on ? chosen.filter((n) => n !== name) : [...chosen, name])}
            />
            {name}
          </label>
        );
      })}
    </fieldset>
  );
}
