/** The keyboard's way to zoom a chart: a step range typed in (whole steps, inclusive), and a reset. */
import { type FormEvent, useEffect, useState } from 'react';
import { stepRangeOf } from './series';

export interface StepRange {
  fromStep: number;
  toStep: number;
}

export function StepRangeForm({
  range,
  onApply,
  name,
}: {
  range: StepRange | null;
  onApply(r: StepRange | null): void;
  name: string;
}) {
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  useEffect(() => {
    setFrom(range ? String(range.fromStep) : '');
    setTo(range ? String(range.toStep) : '');
  }, [range]);
  function submit(event: FormEvent) {
    event.preventDefault();
    const r = stepRangeOf(Number(from), Number(to));
    if (from !== '' && to !== '' && r) onApply(r);
  }
  return (
    <form className="step-range" onSubmit={submit}>
      <label>
        <span className="visually-hidden">{name}: from step</span>
        <input
          type="number"
          min={0}
          inputMode="numeric"
          placeholder="from"
          value={from}
          onChange={(e) => setFrom(e.target.value)}
        />
      </label>
      <label>
        <span className="visually-hidden">{name}: to step</span>
        <input type="number" min={0} inputMode="numeric" placeholder="to" value={to} onChange={(e) => setTo(e.target.value)} />
      </label>
      <button type="submit">Zoom</button>
      <button type="button" disabled={!range} onClick={() => onApply(null)}>
        Reset zoom
      </button>
    </form>
  );
}
