/**
 * One metric of a run as a chart: its series downsampled to about two
 * points per pixel (buckets keep min and max, drawn as a band), live points
 * appended as they arrive, a dragged step range (or one typed in) refetched
 * exactly through metricSeries(fromStep, toStep), and a gap after a
 * reconnect refilled from the last step drawn.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { useLabClient } from '../../app/session';
import { BandChart } from '../../components/charts/BandChart';
import { type StepRange, StepRangeForm } from '../../components/charts/StepRangeForm';
import {
  appendPoints,
  type BandSeries,
  emptySeries,
  lastStepOf,
  mergePoints,
  pointsForWidth,
  seriesOf,
  stepRangeOf,
} from '../../components/charts/series';
import { errorMessage, formatNumber } from '../../components/status';
import type { LiveFeed, LivePoint } from './liveMetrics';
import { MetricSeriesQuery } from './queries';
import { takePreloadedSeries } from './runData';

function inRangeOf(points: LivePoint[], r: StepRange | null): LivePoint[] {
  return r ? points.filter((p) => p.step >= r.fromStep && p.step <= r.toStep) : points;
}

export interface MetricChartProps {
  runId: string;
  name: string;
  feed: LiveFeed;
  /** Called once, after the first drawing with points. */
  onFirstDraw?(): void;
}

export function MetricChart({ runId, name, feed, onFirstDraw }: MetricChartProps) {
  const { urql } = useLabClient();
  const [series, setSeries] = useState<BandSeries>(emptySeries);
  const [version, setVersion] = useState(0);
  const [range, setRange] = useState<StepRange | null>(null);
  const [info, setInfo] = useState<{ exact: boolean; bucketWidth: number | null } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [width, setWidth] = useState<number | null>(null);
  const [lastDrawn, setLastDrawn] = useState<number | null>(null);
  const current = useRef({ series, range, loaded: false, buffered: [] as LivePoint[] });
  current.current.series = series;
  current.current.range = range;

  const fetchSeries = useCallback(
    async (r: StepRange | null, w: number) =>
      (r ? null : await takePreloadedSeries(runId, name, pointsForWidth(w))) ??
      urql
        .query(
          MetricSeriesQuery,
          { runId, name, maxPoints: pointsForWidth(w), fromStep: r?.fromStep ?? null, toStep: r?.toStep ?? null },
          { requestPolicy: 'network-only' },
        )
        .toPromise(),
    [urql, runId, name],
  );

  // The series for the current range (all steps when not zoomed).
  useEffect(() => {
    if (width == null) return;
    let cancelled = false;
    current.current.loaded = false;
    current.current.buffered = [];
    void fetchSeries(range, width).then((result) => {
      if (cancelled) return;
      if (result.error) return setError(errorMessage(result.error));
      const s = result.data?.run.metricSeries;
      setError(null);
      setInfo(s ? { exact: s.exact, bucketWidth: s.bucketWidth ?? null } : null);
      // Points that arrived while the fetch was in flight: appended after it (steps it already has are skipped).
      const fetched = seriesOf(s?.points ?? []);
      appendPoints(fetched, inRangeOf(current.current.buffered, range));
      current.current.buffered = [];
      setSeries(fetched);
      setVersion((v) => v + 1);
      current.current.loaded = true;
    });
    return () => {
      cancelled = true;
    };
  }, [fetchSeries, range, width]);

  // Live points: appended in place, then one redraw.
  useEffect(
    () =>
      feed.onPoints(name, (points) => {
        const { series: s, range: r, loaded } = current.current;
        if (!loaded) {
          current.current.buffered.push(...points);
          return;
        }
        if (appendPoints(s, inRangeOf(points, r)) > 0) setVersion((v) => v + 1);
      }),
    [feed, name],
  );

  // A gap (reconnect, a broken upstream stream, skipped points): fetch from the step after the last one drawn
  // before the gap began, and merge. Until the stream flows again (`closed`), refills start from the same step.
  const gapFrom = useRef<number | null>(null);
  useEffect(
    () =>
      feed.onGap((gapName, closed) => {
        if (gapName !== null && gapName !== name) return;
        const { series: s, range: r } = current.current;
        const last = lastStepOf(s);
        const fromStep = gapFrom.current ?? (last == null ? (r?.fromStep ?? 0) : last + 1);
        gapFrom.current = closed ? null : fromStep;
        const toStep = r?.toStep ?? null;
        if (toStep != null && fromStep > toStep) return;
        void urql
          .query(MetricSeriesQuery, { runId, name, maxPoints: 10_000, fromStep, toStep }, { requestPolicy: 'network-only' })
          .toPromise()
          .then((result) => {
            const points = result.data?.run.metricSeries?.points ?? [];
            if (mergePoints(current.current.series, points) > 0) setVersion((v) => v + 1);
          });
      }),
    [feed, name, urql, runId],
  );

  const onZoom = useCallback((from: number, to: number) => {
    const r = stepRangeOf(from, to);
    if (r) setRange(r);
  }, []);

  const onWidth = useCallback((w: number) => setWidth((old) => old ?? w), []);
  const marked = useRef(false);
  const onDraw = useCallback(
    (step: number | null) => {
      // The first drawing with points is marked for performance timings (`lab:chart-drawn:<name>`, ms since navigation).
      if (step != null && !marked.current) {
        marked.current = true;
        performance.mark(`lab:chart-drawn:${name}`);
        onFirstDraw?.();
      }
      setLastDrawn((old) => (old === step ? old : step));
    },
    [name, onFirstDraw],
  );
  const titleId = `chart-${name.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  const last = series.values.length ? series.values[series.values.length - 1] : null;
  const summary = `${name}: ${series.steps.length} points${
    series.steps.length ? `, steps ${series.steps[0]} to ${lastStepOf(series)}` : ''
  }, last value ${formatNumber(last)}${info && !info.exact ? `, downsampled to buckets of ${info.bucketWidth} steps` : ''}`;

  return (
    <figure className="metric-chart" aria-labelledby={titleId} data-metric={name} data-last-step={lastDrawn ?? ''}>
      <figcaption>
        <h3 id={titleId}>{name}</h3>
        <span className="muted">
          {formatNumber(last)}
          {info && !info.exact ? ` · buckets of ${info.bucketWidth}` : ''}
          {range ? ` · steps ${range.fromStep}–${range.toStep}` : ''}
        </span>
        <StepRangeForm range={range} onApply={setRange} name={name} />
      </figcaption>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <div role="img" aria-label={summary}>
        <BandChart series={series} version={version} label={name} onZoom={onZoom} onWidth={onWidth} onDraw={onDraw} />
      </div>
    </figure>
  );
}
