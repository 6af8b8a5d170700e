/**
 * /compare?runs=a,b,...: up to 20 runs overlaid per metric on the grid
 * compareRuns shares between them (one call for every chosen metric), a
 * legend (a run keeps its colour on every chart), a drag to zoom that
 * refetches the step range, and the params/config diff table.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useQuery } from 'urql';
import { Link, useLocation, useSearch } from 'wouter';
import { paths } from '../../app/paths';
import { useLabClient } from '../../app/session';
import { OverlayChart, type OverlayData } from '../../components/charts/OverlayChart';
import { type StepRange, StepRangeForm } from '../../components/charts/StepRangeForm';
import { stepRangeOf } from '../../components/charts/series';
import { ErrorBox, errorMessage, Loading, StatusBadge } from '../../components/status';
import { graphql } from '../../gql';
import type { ComparedRunQuery } from '../../gql/graphql';
import '../pages.css';
import { DiffTable } from './DiffTable';
import { MetricPicker } from './MetricPicker';
import { comparePoints, MAX_COMPARED_RUNS, MAX_METRICS_PER_CALL, overlayOf, RUN_COLORS, runIdsOf } from './overlay';
import { SummaryTable } from './SummaryTable';

export const ComparedRunQueryDoc = graphql(`
  query ComparedRun($id: ID!) {
    run(id: $id) {
      id
      name
      status
      params
      config
      metricNames
      metrics {
        name
        last
        min
        max
      }
      experiment {
        id
        name
      }
    }
  }
`);

export const CompareSeriesQuery = graphql(`
  query CompareSeries($runIds: [ID!]!, $names: [String!]!, $maxPoints: Int!, $fromStep: Float, $toStep: Float) {
    compareRuns(runIds: $runIds, names: $names, maxPoints: $maxPoints, fromStep: $fromStep, toStep: $toStep) {
      runId
      name
      series {
        exact
        bucketWidth
        points {
          bucketStart
          value
        }
      }
    }
  }
`);

type ComparedRun = ComparedRunQuery['run'];

interface Loaded {
  runs: ComparedRun[];
  errors: string[];
}

/** Each run's name, params, config and metric names, asked in parallel. */
function useComparedRuns(ids: string[]): Loaded | null {
  const { urql } = useLabClient();
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const key = ids.join(',');
  // biome-ignore lint/correctness/useExhaustiveDependencies: `key` stands for `ids`
  useEffect(() => {
    let live = true;
    setLoaded(null);
    Promise.all(ids.map((id) => urql.query(ComparedRunQueryDoc, { id }).toPromise())).then((results) => {
      if (!live) return;
      const runs: ComparedRun[] = [];
      const errors: string[] = [];
      results.forEach((result, i) => {
        if (result.data?.run) runs.push(result.data.run);
        else errors.push(`Run ${ids[i]}: ${result.error ? errorMessage(result.error) : 'not found'}`);
      });
      setLoaded({ runs, errors });
    });
    return () => {
      live = false;
    };
  }, [key, urql]);
  return loaded;
}

function searchOf(runIds: string[], metrics: string[]): string {
  const params = new URLSearchParams();
  params.set('runs', runIds.join(','));
  if (metrics.length) params.set('metrics', metrics.join(','));
  return `/compare?${params.toString().replaceAll('%2C', ',')}`;
}

export function ComparePage() {
  const search = useSearch();
  const [, navigate] = useLocation();
  const asked = useMemo(() => new URLSearchParams(search).get('runs')?.split(',').filter(Boolean).length ?? 0, [search]);
  const ids = useMemo(() => runIdsOf(search), [search]);
  const chosenInUrl = useMemo(() => new URLSearchParams(search).get('metrics')?.split(',').filter(Boolean) ?? null, [search]);
  const loaded = useComparedRuns(ids);
  const runs = loaded?.runs ?? [];
  // The runs of one experiment link back to it.
  const experiment =
    runs.length > 0 && runs.every((r) => r.experiment.id === runs[0]?.experiment.id) ? runs[0]?.experiment : undefined;
  const allMetrics = useMemo(() => [...new Set(runs.flatMap((r) => r.metricNames ?? []))].sort(), [runs]);
  const metrics = (chosenInUrl ?? allMetrics.slice(0, 3)).slice(0, MAX_METRICS_PER_CALL);

  const setMetrics = (next: string[]) =>
    navigate(
      searchOf(
        runs.map((r) => r.id),
        next,
      ),
      { replace: true },
    );
  const removeRun = (id: string) =>
    navigate(
      searchOf(
        ids.filter((x) => x !== id),
        metrics,
      ),
    );

  return (
    <section aria-labelledby="compare-title" className="compare">
      {experiment && (
        <nav aria-label="Breadcrumb" className="crumbs">
          <Link href={paths.experiment(experiment.id)}>{experiment.name}</Link>
        </nav>
      )}
      <h1 id="compare-title">Compare {runs.length ? `${runs.length} runs` : 'runs'}</h1>
      {ids.length === 0 && <p>Pick runs in an experiment's runs table and choose Compare, or open /compare?runs=id1,id2.</p>}
      {asked > MAX_COMPARED_RUNS && (
        <p className="notice" role="status">
          Showing the first {MAX_COMPARED_RUNS} of {asked} runs.
        </p>
      )}
      {loaded?.errors.map((message) => (
        <p key={message} role="alert" className="error">
          {message}
        </p>
      ))}
      {ids.length > 0 && !loaded && <Loading />}
      {runs.length > 0 && (
        <>
          <Legend runs={runs} onRemove={runs.length > 1 ? removeRun : undefined} />
          <MetricPicker all={allMetrics} chosen={metrics} onChange={setMetrics} />
          <Charts runs={runs} metrics={metrics} />
          <h2 id="summary-title">Metric summaries</h2>
          <SummaryTable runs={runs} first={metrics} labelledBy="summary-title" />
          <h2 id="diff-title">Params and config</h2>
          <DiffTable runs={runs} labelledBy="diff-title" />
        </>
      )}
    </section>
  );
}

function Legend({ runs, onRemove }: { runs: ComparedRun[]; onRemove?: (id: string) => void }) {
  return (
    <ul className="legend" aria-label="Legend">
      {runs.map((run, i) => (
        <li key={run.id}>
          <span className="swatch" style={{ background: RUN_COLORS[i % RUN_COLORS.length] }} aria-hidden="true" />
          <Link href={paths.run(run.id)}>{run.name}</Link> <StatusBadge status={run.status} />{' '}
          <span className="muted">{run.experiment.name}</span>
          {onRemove && (
            <button
              type="button"
              className="link"
              aria-label={`Remove ${run.name} from the comparison`}
              onClick={() => onRemove(run.id)}
            >
              ×
            </button>
          )}
        </li>
      ))}
    </ul>
  );
}

function Charts({ runs, metrics }: { runs: ComparedRun[]; metrics: string[] }) {
  const [width, setWidth] = useState(800);
  // One width for every chart, changed only by 100 px or more: charts a few pixels apart, or a scroll bar
  // coming and going, must not refetch in turn.
  const onWidth = useCallback((w: number) => setWidth((old) => (Math.abs(old - w) >= 100 ? w : old)), []);
  const [range, setRange] = useState<StepRange | null>(null);
  const runIds = runs.map((r) => r.id);
  const [result] = useQuery({
    query: CompareSeriesQuery,
    variables: {
      runIds,
      names: metrics,
      maxPoints: comparePoints(width, runIds.length, Math.max(1, metrics.length)),
      fromStep: range?.fromStep ?? null,
      toStep: range?.toStep ?? null,
    },
    pause: metrics.length === 0,
  });
  // While another range or width is fetched the charts keep the last answer (unmounting them would move the page).
  const last = useRef(result.data);
  if (result.data) last.current = result.data;
  const shown = result.data ?? last.current;
  // biome-ignore lint/correctness/useExhaustiveDependencies: runIds and metrics follow the answer's variables
  const byMetric = useMemo(() => {
    const out = new Map<string, OverlayData>();
    const rows = shown?.compareRuns ?? [];
    for (const name of metrics) {
      const perRun = runIds.map((id) => rows.find((r) => r.runId === id && r.name === name)?.series?.points ?? []);
      out.set(name, overlayOf(perRun));
    }
    return out;
  }, [shown]);
  const labels = runs.map((r) => r.name);
  const colors = runs.map((_, i) => RUN_COLORS[i % RUN_COLORS.length] as string);
  const zoom = (from: number, to: number) => {
    const next = stepRangeOf(from, to);
    if (next) setRange(next);
  };

  return (
    <div className="charts compare-charts">
      <div className="toolbar">
        <span>{range ? `Steps ${range.fromStep} to ${range.toStep}` : 'All steps'}</span>
        <StepRangeForm range={range} onApply={setRange} name="Compared charts" />
        {result.fetching && <span className="muted">Loading…</span>}
      </div>
      {result.error && <ErrorBox error={result.error} />}
      {metrics.map((name) => {
        const data = byMetric.get(name);
        return (
          <figure key={name} className="metric-chart">
            <figcaption>{name}</figcaption>
            {data && data.xs.length > 0 ? (
              <OverlayChart
                data={data}
                labels={labels}
                colors={colors}
                title={`${name} of ${runs.length} runs`}
                onZoom={zoom}
                onWidth={onWidth}
              />
            ) : (
              <p className="muted">{result.fetching ? 'Loading…' : 'No points in this range.'}</p>
            )}
          </figure>
        );
      })}
    </div>
  );
}
