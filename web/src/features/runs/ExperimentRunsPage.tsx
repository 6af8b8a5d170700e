/**
 * An experiment's runs: the filter box, the metric columns to show, the
 * virtualised table sorted on the server, and the runs selected for
 * comparison (up to 20, opened as /compare?runs=a,b). The filter, the sort
 * and the metric columns live in the URL (?q=…&sort=…&m=a,b), so a view
 * can be shared or reloaded.
 */
import { useCallback, useMemo, useState } from 'react';
import { useQuery } from 'urql';
import { Link, useLocation, useParams, useSearch } from 'wouter';
import { paths } from '../../app/paths';
import { ErrorBox } from '../../components/status';
import { graphql } from '../../gql';
import { FilterBox } from './FilterBox';
import { RunsTable } from './RunsTable';
import { commonParamKeys } from './runColumns';
import { formatSort, nextSort, parseSort, toRunOrder } from './runOrder';
import { useRunPages } from './useRunPages';

export const MAX_COMPARED = 20;

export const ExperimentHeaderQuery = graphql(`
  query ExperimentHeader($id: ID!) {
    experiment(id: $id) {
      id
      name
      description
      runCount
      metricNames
      project {
        id
        name
      }
    }
  }
`);

export function ExperimentRunsPage() {
  const { experimentId = '' } = useParams<{ experimentId: string }>();
  const [location, navigate] = useLocation();
  const params = new URLSearchParams(useSearch());
  const search = params.get('q') ?? '';
  const sortText = params.get('sort');
  const sort = useMemo(() => parseSort(sortText), [sortText]);
  const orderBy = useMemo(() => toRunOrder(sort), [sort]);
  const metricsParam = params.get('m');

  const [header] = useQuery({ query: ExperimentHeaderQuery, variables: { id: experimentId } });
  const experiment = header.data?.experiment;
  const metricNames = experiment?.metricNames ?? [];
  const chosenMetrics = useMemo(
    () => (metricsParam != null ? metricsParam.split(',').filter(Boolean) : metricNames.slice(0, 2)),
    [metricsParam, metricNames],
  );

  const pages = useRunPages(experimentId, search, orderBy);
  // The param columns follow the first page: they stay put while more pages arrive.
  const firstRow = pages.rows[0];
  // biome-ignore lint/correctness/useExhaustiveDependencies: recomputed when the first page changes, not on every page
  const paramKeys = useMemo(() => commonParamKeys(pages.rows.slice(0, 100)), [firstRow]);
  const choice = useMemo(() => ({ params: paramKeys, metrics: chosenMetrics }), [paramKeys, chosenMetrics]);

  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const toggle = useCallback((runId: string) => {
    setSelected((current) => {
      const next = new Set(current);
      if (next.has(runId)) next.delete(runId);
      else if (next.size < MAX_COMPARED) next.add(runId);
      return next;
    });
  }, []);

  const setParam = (name: string, value: string | null) => {
    const next = new URLSearchParams(params);
    if (value == null || value === '') next.delete(name);
    else next.set(name, value);
    const query = next.toString();
    navigate(query ? `${location}?${query}` : location, { replace: true });
  };
  const onSort = (columnId: string) => {
    const sorted = nextSort(sort, columnId);
    if (sorted) setParam('sort', formatSort(sorted));
  };
  const toggleMetric = (name: string) => {
    const next = chosenMetrics.includes(name) ? chosenMetrics.filter((n) => n !== name) : [...chosenMetrics, name];
    setParam('m', next.join(','));
  };

  return (
    <section aria-labelledby="experiment-title" className="runs-page">
      <nav aria-label="Breadcrumb" className="crumbs">
        <Link href={paths.projects()}>Projects</Link>
        {experiment && <Link href={paths.project(experiment.project.id)}>{experiment.project.name}</Link>}
      </nav>
      <h1 id="experiment-title">{experiment?.name ?? 'Experiment'}</h1>
      {header.error && <ErrorBox error={header.error} />}
      <FilterBox value={search} error={pages.filterError} onApply={(q) => setParam('q', q)} />
      <div className="runs-toolbar">
        <span aria-live="polite" className="muted" data-testid="run-count">
          {pages.loading ? 'Loading runs…' : pages.totalCount != null ? `${pages.totalCount} runs` : ''}
        </span>
        {metricNames.length > 0 && (
          <details className="column-chooser">
            <summary>Metric columns ({chosenMetrics.length})</summary>
            <fieldset>
              <legend className="visually-hidden">Metrics shown as columns</legend>
              {metricNames.map((name) => (
                <label key={name}>
                  <input type="checkbox" checked={chosenMetrics.includes(name)} onChange={() => toggleMetric(name)} /> {name}
                </label>
              ))}
            </fieldset>
          </details>
        )}
        <span className="spacer" />
        <span className="muted">{selected.size > 0 ? `${selected.size} selected` : 'Select runs to compare'}</span>
        {selected.size > 0 && (
          <button type="button" onClick={() => setSelected(new Set())}>
            Clear
          </button>
        )}
        {selected.size >= 2 ? (
          <Link className="button primary" href={paths.compare([...selected])}>
            Compare {selected.size}
          </Link>
        ) : (
          <button type="button" className="primary" disabled>
            Compare
          </button>
        )}
      </div>
      {pages.error && !pages.filterError && <ErrorBox error={pages.error} />}
      {!pages.filterError && pages.totalCount != null && (
        <RunsTable
          rows={pages.rows}
          totalCount={pages.totalCount}
          choice={choice}
          sort={sort}
          onSort={onSort}
          selected={selected}
          onToggle={toggle}
          loadThrough={pages.loadThrough}
          resetKey={`${search}\n${sortText ?? ''}`}
        />
      )}
    </section>
  );
}
