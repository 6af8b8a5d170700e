/** The compare page's logic: the params/config diff (and its table), runs on one step grid, the API's caps. */
import { cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { DiffTable } from './DiffTable';
import { MetricPicker } from './MetricPicker';
import { comparePoints, overlayOf, runIdsOf } from './overlay';
import { diffRows } from './paramDiff';
import { SummaryTable } from './SummaryTable';

afterEach(cleanup);

const a = {
  id: 'a',
  name: 'run-a',
  params: { lr: '0.1', seed: '1' },
  config: { model: { layers: 4, act: 'relu' }, tags: [1, 2] },
};
const b = { id: 'b', name: 'run-b', params: { lr: '0.01', seed: '1' }, config: { model: { layers: 4 }, tags: [1, 2] } };

describe('diffRows', () => {
  it('flattens config to dot paths, marks differing and missing keys, params first', () => {
    expect(diffRows([a, b])).toEqual([
      { key: 'params.lr', values: ['0.1', '0.01'], differs: true },
      { key: 'params.seed', values: ['1', '1'], differs: false },
      { key: 'config.model.act', values: ['relu', undefined], differs: true },
      { key: 'config.model.layers', values: ['4', '4'], differs: false },
      { key: 'config.tags', values: ['[1,2]', '[1,2]'], differs: false },
    ]);
  });

  it('compares values as shown: a number and the string spelling it are the same', () => {
    const rows = diffRows([
      { params: {}, config: { x: 1 } },
      { params: {}, config: { x: '1' } },
    ]);
    expect(rows).toEqual([{ key: 'config.x', values: ['1', '1'], differs: false }]);
  });
});

describe('DiffTable', () => {
  it('shows only the differing keys, highlighted, and every key on request', () => {
    render(<DiffTable runs={[a, b]} />);
    const table = screen.getByRole('table');
    expect(
      within(table)
        .getAllByRole('columnheader')
        .map((h) => h.textContent),
    ).toEqual(['Key', 'run-a', 'run-b']);
    let rows = within(table).getAllByRole('row').slice(1);
    expect(rows.map((r) => within(r).getByRole('rowheader').textContent)).toEqual([
      'params.lr (differs)',
      'config.model.act (differs)',
    ]);
    expect(rows.every((r) => r.className === 'differs')).toBe(true);
    fireEvent.click(screen.getByLabelText(/Show all 5 keys \(2 differ\)/));
    rows = within(screen.getByRole('table')).getAllByRole('row').slice(1);
    expect(rows).toHaveLength(5);
    expect(rows.filter((r) => r.className === 'differs')).toHaveLength(2);
  });

  it('says so when nothing differs', () => {
    render(<DiffTable runs={[a, { ...a, id: 'c', name: 'run-c' }]} />);
    expect(screen.queryByRole('table')).toBeNull();
    expect(screen.getByText('Every param and config key is the same.')).toBeTruthy();
  });
});

describe('overlayOf', () => {
  it('lines runs up on the union of their bucket starts, null where a run has no point', () => {
    const data = overlayOf([
      [
        { bucketStart: 0, value: 1 },
        { bucketStart: 10, value: 2 },
      ],
      [
        { bucketStart: 10, value: 5 },
        { bucketStart: 20, value: 6 },
      ],
      [],
    ]);
    expect(data).toEqual({
      xs: [0, 10, 20],
      ys: [
        [1, 2, null],
        [null, 5, 6],
        [null, null, null],
      ],
    });
  });
});

describe('the API caps', () => {
  it('asks about two points a pixel, within runs × names × maxPoints ≤ 1,000,000', () => {
    expect(comparePoints(600, 2, 1)).toBe(1200);
    expect(comparePoints(3000, 20, 10)).toBe(5000);
    expect(comparePoints(10, 1, 1)).toBe(100);
  });

  it('reads at most 20 distinct run ids from the search string', () => {
    expect(runIdsOf('?runs=a,%20b,a,,c')).toEqual(['a', 'b', 'c']);
    const many = Array.from({ length: 25 }, (_, i) => `r${i}`).join(',');
    expect(runIdsOf(`runs=${many}`)).toHaveLength(20);
    expect(runIdsOf('')).toEqual([]);
  });
});

describe('MetricPicker', () => {
  const names = Array.from({ length: 20 }, (_, i) => `m${String(i).padStart(2, '0')}`);

  it('offers a filter once the names are many, keeping the chosen ones listed', () => {
    render(<MetricPicker all={names} chosen={['m03']} onChange={() => {}} />);
    fireEvent.change(screen.getByLabelText('Find a metric'), { target: { value: 'm1' } });
    const listed = screen.getAllByRole('checkbox').map((box) => box.parentElement?.textContent);
    expect(listed).toEqual(['m03', 'm10', 'm11', 'm12', 'm13', 'm14', 'm15', 'm16', 'm17', 'm18', 'm19']);
  });

  it('allows at most ten metrics, one compareRuns call', () => {
    let chosen: string[] = [];
    render(<MetricPicker all={names} chosen={names.slice(0, 10)} onChange={(next) => (chosen = next)} />);
    const boxes = screen.getAllByRole('checkbox') as HTMLInputElement[];
    expect(boxes.filter((b) => b.disabled).map((b) => b.parentElement?.textContent)).toEqual(names.slice(10));
    fireEvent.click(boxes[0] as HTMLInputElement);
    expect(chosen).toEqual(names.slice(1, 10));
  });
});

describe('SummaryTable', () => {
  it("lists the chosen metrics first, each run's last value, a dash where a run lacks the metric", () => {
    render(
      <SummaryTable
        labelledBy="x"
        first={['loss']}
        runs={[
          {
            id: 'a',
            name: 'run-a',
            metrics: [
              { name: 'acc', last: 0.5, min: 0.1, max: 0.5 },
              { name: 'loss', last: 0.25, min: 0.2, max: 2 },
            ],
          },
          { id: 'b', name: 'run-b', metrics: [{ name: 'loss', last: 0.125, min: 0.1, max: 1 }] },
        ]}
      />,
    );
    const rows = screen.getAllByRole('row').slice(1);
    expect(rows.map((r) => r.textContent)).toEqual(['loss0.250.125', 'acc0.5—']);
    expect(
      within(rows[0] as HTMLElement)
        .getAllByRole('cell')[0]
        ?.getAttribute('title'),
    ).toBe('min 0.2, max 2');
  });
});
