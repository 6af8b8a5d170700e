/**
 * A thin wrapper over uPlot for compared runs: one line per run on a shared
 * step axis (gaps where a run has no point), colours given by the caller so
 * a run keeps its colour on every chart and in the page's legend. Hovering
 * reads out each run's value at the step under the cursor; dragging across
 * the plot calls onZoom with the step range; axes follow light/dark.
 */
import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatNumber } from '../status';
import { followWidth } from './followWidth';

/** uPlot's aligned form: one x array (steps) and one y array per run, null where a run has no point. */
export interface OverlayData {
  xs: number[];
  /** One per run, in the runs' order. */
  ys: (number | null)[][];
}

export interface OverlayChartProps {
  data: OverlayData;
  /** Run names, in the order of data.ys. */
  labels: string[];
  colors: string[];
  /** The chart's accessible name, e.g. "loss of 3 runs". */
  title: string;
  height?: number;
  onZoom?(from: number, to: number): void;
  onWidth?(width: number): void;
}

function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

function useDarkScheme(): boolean {
  const query = typeof window !== 'undefined' && window.matchMedia ? window.matchMedia('(prefers-color-scheme: dark)') : null;
  const [dark, setDark] = useState(Boolean(query?.matches));
  useEffect(() => {
    if (!query) return;
    const change = () => setDark(query.matches);
    query.addEventListener('change', change);
    return () => query.removeEventListener('change', change);
  }, [query]);
  return dark;
}

export function OverlayChart({ data, labels, colors, title, height = 240, onZoom, onWidth }: OverlayChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const handlers = useRef({ onZoom, onWidth });
  handlers.current = { onZoom, onWidth };
  const dark = useDarkScheme();
  const [hover, setHover] = useState<number | null>(null);
  const key = `${labels.join('\u0000')}|${colors.join(',')}`;

  // Rebuilt when the runs, the data, the size or the scheme change (a compare chart is not live).
  // biome-ignore lint/correctness/useExhaustiveDependencies: labels and colors are keyed by `key`
  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    const fg = cssVar('--muted', '#666');
    const grid = cssVar('--chart-grid', 'rgba(0,0,0,0.08)');
    const width = Math.max(200, el.clientWidth);
    handlers.current.onWidth?.(width);
    const axis = { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    const opts: uPlot.Options = {
      width,
      height,
      scales: { x: { time: false } },
      legend: { show: false },
      series: [
        { label: 'step' },
        ...labels.map((label, i) => ({
          label,
          stroke: colors[i % colors.length],
          width: 1.5,
          spanGaps: true,
          points: { show: false },
        })),
      ],
      axes: [axis, axis],
      cursor: { drag: { x: true, y: false, setScale: false } },
      hooks: {
        setCursor: [(u) => setHover(u.cursor.idx ?? null)],
        setSelect: [
          (u) => {
            if (u.select.width > 2) {
              handlers.current.onZoom?.(u.posToVal(u.select.left, 'x'), u.posToVal(u.select.left + u.select.width, 'x'));
            }
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
          },
        ],
      },
    };
    const u = new uPlot(opts, [data.xs, ...data.ys] as uPlot.AlignedData, el);
    setHover(null);
    const unfollow = followWidth(el, u, height);
    return () => {
      unfollow();
      u.destroy();
    };
  }, [data, key, height, dark]);

  const step = hover == null ? undefined : data.xs[hover];
  return (
    <>
      <div ref={box} className="overlay-chart" role="img" aria-label={title} />
      <p className="readout" aria-hidden="true">
        {step === undefined ? (
          <span className="muted">Hover for values; drag to zoom.</span>
        ) : (
          <>
            <span className="muted">step {step}</span>
            {data.ys.map((ys, i) => {
              const value = hover == null ? null : ys[hover];
              return value == null ? null : (
                <span key={labels[i]}>
                  <span className="swatch" style={{ background: colors[i % colors.length] }} /> {labels[i]} {formatNumber(value)}
                </span>
              );
            })}
          </>
        )}
      </p>
    </>
  );
}
