/**
 * One run: a chart per metric (live while RUNNING), then its params,
 * config, tags (editable), notes (Markdown, editable), output files with
 * downloads, source and lineage (the dataset versions it read, the
 * model versions it produced).
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import { type RequestPolicy, useQuery } from 'urql';
import { Link, useParams } from 'wouter';
import { paths } from '../../app/paths';
import { ErrorBox, formatDuration, formatTime, Loading, StatusBadge } from '../../components/status';
import { RunFiles, RunLineage, RunNotes, RunTags } from '../runDetails/RunDetails';
import { useLiveFeed } from './liveMetrics';
import { MetricChart } from './MetricChart';
import { RunQuery } from './queries';
import { forgetPreloaded, takeFreshRun } from './runData';

export function RunPage() {
  const { runId = '' } = useParams<{ runId: string }>();
  // Preloaded with the route (runData.ts): that answer is taken as it is, else cached and refreshed.
  const [requestPolicy] = useState<RequestPolicy>(() => (takeFreshRun(runId) ? 'cache-first' : 'cache-and-network'));
  const [result, refetch] = useQuery({ query: RunQuery, variables: { id: runId }, requestPolicy });
  useEffect(() => () => forgetPreloaded(runId), [runId]);
  const run = result.data?.run;
  const live = run?.status === 'RUNNING';
  const feed = useLiveFeed(runId, live);
  const [extraNames, setExtraNames] = useState<string[]>([]);
  useEffect(() => feed.onNewName((name) => setExtraNames((names) => (names.includes(name) ? names : [...names, name]))), [feed]);
  const names = useMemo(() => {
    const known = run?.metricNames ?? [];
    return [...known, ...extraNames.filter((n) => !known.includes(n))];
  }, [run?.metricNames, extraNames]);

  // The files' query waits for the first chart (or 2 s), so it does not compete with the first series.
  const [chartDrawn, setChartDrawn] = useState(false);
  const onFirstDraw = useCallback(() => setChartDrawn(true), []);
  useEffect(() => {
    const timer = setTimeout(() => setChartDrawn(true), 2000);
    return () => clearTimeout(timer);
  }, []);

  if (result.error && !run) return <ErrorBox error={result.error} />;
  if (!run) return <Loading />;
  const paramEntries = Object.entries(run.params);
  return (
    <article aria-labelledby="run-title" className="run-page">
      <nav aria-label="Breadcrumb" className="crumbs">
        <Link href={paths.projects()}>Projects</Link>
        <Link href={paths.project(run.experiment.project.id)}>{run.experiment.project.name}</Link>
        <Link href={paths.experiment(run.experiment.id)}>{run.experiment.name}</Link>
      </nav>
      <header className="run-header">
        <h1 id="run-title">{run.name}</h1>
        <StatusBadge status={run.status} />
        {live && (
          <span className="live" aria-live="polite">
            live
          </span>
        )}
        <button type="button" onClick={() => refetch({ requestPolicy: 'network-only' })}>
          Refresh
        </button>
      </header>
      <dl className="facts">
        <dt>Author</dt>
        <dd>{run.createdBy.name || run.createdBy.email}</dd>
        <dt>Started</dt>
        <dd>{formatTime(run.startTime)}</dd>
        <dt>Ended</dt>
        <dd>{formatTime(run.endTime)}</dd>
        <dt>Duration</dt>
        <dd>{formatDuration(run.duration)}</dd>
        <dt>Source</dt>
        <dd>
          {run.source ? (
            <>
              {run.source.commit && <code title="git commit">{run.source.commit.slice(0, 12)}</code>}
              {run.source.branch && <span className="tag">{run.source.branch}</span>}
              {run.source.dirty && <span className="tag">uncommitted changes</span>}
              {run.source.entryPoint && <code> {run.source.entryPoint}</code>}
              {run.source.host && <span className="muted"> on {run.source.host}</span>}
            </>
          ) : (
            '—'
          )}
        </dd>
      </dl>

      <section aria-labelledby="charts-title">
        <h2 id="charts-title">Metrics</h2>
        {names.length === 0 && <p className="muted">No metric logged yet{live ? ': charts appear as points arrive.' : '.'}</p>}
        <div className="charts">
          {names.map((name) => (
            <MetricChart key={name} runId={run.id} name={name} feed={feed} onFirstDraw={onFirstDraw} />
          ))}
        </div>
      </section>

      <div className="run-details">
        <section aria-labelledby="params-title">
          <h2 id="params-title">Params</h2>
          {paramEntries.length === 0 ? (
            <p className="muted">None.</p>
          ) : (
            <table className="plain">
              <tbody>
                {paramEntries.map(([key, value]) => (
                  <tr key={key}>
                    <th scope="row">{key}</th>
                    <td className="mono">{String(value)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
        <section aria-labelledby="config-title">
          <h2 id="config-title">Config</h2>
          {Object.keys(run.config).length === 0 ? (
            <p className="muted">None.</p>
          ) : (
            <pre>{JSON.stringify(run.config, null, 2)}</pre>
          )}
        </section>
        <RunTags runId={run.id} tags={run.tags as Record<string, string>} />
        <RunNotes runId={run.id} notes={run.notes} />
        {(chartDrawn || names.length === 0) && <RunFiles runId={run.id} />}
        <RunLineage inputs={run.inputs} produced={run.producedModelVersions} />
      </div>
    </article>
  );
}
