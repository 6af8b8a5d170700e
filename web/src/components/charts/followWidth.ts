import type uPlot from 'uplot';

/** Keeps a plot as wide as its element (at least 200 px) at `height`; the returned function stops following. */
export function followWidth(el: HTMLElement, plot: uPlot, height: number): () => void {
  const resize = new ResizeObserver(() => {
    const width = Math.max(200, el.clientWidth);
    if (Math.abs(width - plot.width) > 1) plot.setSize({ width, height });
  });
  resize.observe(el);
  return () => resize.disconnect();
}
