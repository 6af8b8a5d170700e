/**
 * A thin wrapper over uPlot: a value line over a min/max band, step on x.
 * It takes a typed BandSeries (never a raw response) and redraws when
 * `version` changes (the series is appended to in place, so a live point
 * costs a redraw, not a copy or a refetch). Dragging across the plot calls
 * onZoom with the step range; colours follow the page's light/dark scheme.
 */
import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { followWidth } from './followWidth';
import type { BandSeries } from './series';

export interface BandChartProps {
  series: BandSeries;
  /** Bumped by the owner after changing `series` in place. */
  version: number;
  label: string;
  height?: number;
  onZoom?(from: number, to: number): void;
  /** Called after each draw with the drawn series' last step (tests and the benchmark watch it). */
  onDraw?(lastStep: number | null): void;
  onWidth?(width: number): void;
}

function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

function useColorScheme(): string {
  const query = typeof window !== 'undefined' && window.matchMedia ? window.matchMedia('(prefers-color-scheme: dark)') : null;
  const [scheme, setScheme] = useState(query?.matches ? 'dark' : 'light');
  useEffect(() => {
    if (!query) return;
    const change = () => setScheme(query.matches ? 'dark' : 'light');
    query.addEventListener('change', change);
    return () => query.removeEventListener('change', change);
  }, [query]);
  return scheme;
}

function dataOf(series: BandSeries): uPlot.AlignedData {
  return [series.steps, series.values, series.mins, series.maxs];
}

export function BandChart({ series, version, label, height = 220, onZoom, onDraw, onWidth }: BandChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const handlers = useRef({ onZoom, onDraw });
  handlers.current = { onZoom, onDraw };
  const scheme = useColorScheme();

  // Recreated for a new colour scheme, height or label; data changes go through setData below.
  // biome-ignore lint/correctness/useExhaustiveDependencies: series and callbacks are read through refs and `version`
  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    const fg = cssVar('--muted', '#666');
    const grid = cssVar('--chart-grid', 'rgba(0,0,0,0.08)');
    const line = cssVar('--chart-line', '#0a58ca');
    const band = cssVar('--chart-band', 'rgba(10,88,202,0.18)');
    const width = Math.max(200, el.clientWidth);
    onWidth?.(width);
    const axis = { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    const opts: uPlot.Options = {
      width,
      height,
      scales: { x: { time: false } },
      series: [
        { label: 'step' },
        { label, stroke: line, width: 1.5 },
        { label: 'min', stroke: 'transparent', points: { show: false } },
        { label: 'max', stroke: 'transparent', points: { show: false } },
      ],
      bands: [{ series: [3, 2], fill: band }],
      axes: [axis, axis],
      cursor: { drag: { x: true, y: false, setScale: false } },
      hooks: {
        setSelect: [
          (u) => {
            if (u.select.width > 2) {
              handlers.current.onZoom?.(u.posToVal(u.select.left, 'x'), u.posToVal(u.select.left + u.select.width, 'x'));
            }
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
          },
        ],
        draw: [
          (u) => {
            const xs = u.data[0];
            handlers.current.onDraw?.(xs.length ? (xs[xs.length - 1] as number) : null);
          },
        ],
      },
    };
    const u = new uPlot(opts, dataOf(series), el);
    plot.current = u;
    const unfollow = followWidth(el, u, height);
    return () => {
      unfollow();
      u.destroy();
      plot.current = null;
    };
  }, [scheme, height, label]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: `version` marks in-place changes of `series`
  useEffect(() => {
    plot.current?.setData(dataOf(series), true);
  }, [version, series]);

  return <div ref={box} className="band-chart" />;
}
