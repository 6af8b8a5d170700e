/**
 * GET /v1/export/experiments/{id}/runs.csv[?metrics=val_loss,train/loss]: an
 * experiment's runs as one CSV, behind the gateway (which authenticates the
 * caller, checks the read scope and signs the caller context for this exact
 * request line). Here, at the moment of use, the caller needs a role in the
 * experiment's project (none: 404 NOT_FOUND, as for GraphQL reads).
 *
 * Columns: the run's attributes, its source, `params.<key>`, `config.<dotted
 * path>` (nested configs flattened to their leaves), `tags.<key>`, and
 * `metrics.<name>.last|min|max` for each metric asked. The column set is read
 * first (one query), then the metric summaries of all the runs in one call to
 * the metrics service (METRIC_SUMMARIES_PATH), then the rows are written a
 * page at a time, waiting for the client to take each page (backpressure).
 */
import {
  type Caller,
  EXPORT_PATH,
  type Logger,
  MAX_SUMMARY_METRICS,
  MAX_SUMMARY_RUNS,
  METRIC_SUMMARIES_PATH,
  type MetricSummariesResult,
} from '@lab/shared';
import { exportCaller } from '@lab/shared/internal';
import type { Express, Request, Response } from 'express';
import { Access } from '../access/access';
import type { StoreServices } from '../sagas/storeServices';
import { METRIC_NAME } from '../search';
import type { RegistryStore } from '../store/registryStore';
import type { ExportedRun, RunColumns } from '../store/runExportStore';
import { csvLine, valueAt } from './csv';

export const RUNS_EXPORT_ROUTE = `${EXPORT_PATH}/experiments/:experimentId/runs.csv`;
/** Runs read and written per page. */
export const RUNS_PAGE = 1_000;

const AGGREGATES = ['last', 'min', 'max'] as const;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface RunsExportOptions {
  store: RegistryStore;
  internalSecret: string;
  log: Logger;
  /** The metrics service's internal routes, signed with the request's id (absent: no metric columns can be asked). */
  services?: (requestId: string) => StoreServices;
}

type Summaries = Map<string, { last: number; min: number; max: number }>;

function refuse(res: Response, status: number, code: string, message: string): void {
  res.status(status).json({ code, message });
}

/** The metric names of `?metrics=a,b`, or why they are refused. */
function metricNames(req: Request): string[] | string {
  const unknown = Object.keys(req.query).find((k) => k !== 'metrics');
  if (unknown !== undefined) return `unknown query parameter ${unknown.slice(0, 40)} (metrics is known)`;
  const raw = req.query.metrics;
  if (raw === undefined || raw === '') return [];
  if (typeof raw !== 'string') return 'metrics must be one comma-separated list of metric names';
  const names = [...new Set(raw.split(',').map((n) => n.trim()))];
  if (names.length > MAX_SUMMARY_METRICS) return `at most ${MAX_SUMMARY_METRICS} metrics`;
  const bad = names.find((n) => !METRIC_NAME.test(n));
  if (bad !== undefined) return `"${bad.slice(0, 60)}" is not a metric name (letters, digits, _ . / -, at most 200 characters)`;
  return names;
}

function header(columns: RunColumns, names: readonly string[]): string[] {
  return [
    'run_id',
    'name',
    'status',
    'created_at',
    'start_time',
    'end_time',
    'duration_s',
    'source.commit',
    'source.branch',
    'source.dirty',
    'source.entry_point',
    'source.host',
    ...columns.params.map((k) => `params.${k}`),
    ...columns.config.map((p) => `config.${p.join('.')}`),
    ...columns.tags.map((k) => `tags.${k}`),
    ...names.flatMap((n) => AGGREGATES.map((a) => `metrics.${n}.${a}`)),
  ];
}

function row(run: ExportedRun, columns: RunColumns, names: readonly string[], summaries: Summaries): unknown[] {
  const duration =
    run.startTime && run.endTime ? (new Date(run.endTime).getTime() - new Date(run.startTime).getTime()) / 1000 : null;
  return [
    run.id,
    run.name,
    run.status,
    run.createdAt,
    run.startTime,
    run.endTime,
    duration,
    run.sourceCommit,
    run.sourceBranch,
    run.sourceDirty,
    run.sourceEntryPoint,
    run.sourceHost,
    ...columns.params.map((k) => run.params?.[k]),
    ...columns.config.map((p) => valueAt(run.config, p)),
    ...columns.tags.map((k) => run.tags?.[k]),
    ...names.flatMap((n) => {
      const s = summaries.get(`${run.id}\n${n}`);
      return AGGREGATES.map((a) => s?.[a]);
    }),
  ];
}

/** Writes text, waiting while the client's buffer is full; false when the client has gone. */
function write(res: Response, text: string): Promise<boolean> {
  if (res.destroyed) return Promise.resolve(false);
  if (res.write(text)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      res.off('drain', drained);
      res.off('close', closed);
      resolve(ok);
    };
    const drained = () => done(true);
    const closed = () => done(false);
    res.once('drain', drained);
    res.once('close', closed);
  });
}

async function summariesOf(services: StoreServices, runIds: string[], names: string[]): Promise<Summaries> {
  const summaries: Summaries = new Map();
  for (let i = 0; i < runIds.length; i += MAX_SUMMARY_RUNS) {
    const body = { runIds: runIds.slice(i, i + MAX_SUMMARY_RUNS), names };
    const answer = await services.metrics<MetricSummariesResult>(METRIC_SUMMARIES_PATH, body, { timeoutMs: 60_000 });
    for (const s of answer.summaries) summaries.set(`${s.runId}\n${s.name}`, s);
  }
  return summaries;
}

export function mountRunsExport(app: Express, options: RunsExportOptions): void {
  app.get(RUNS_EXPORT_ROUTE, async (req: Request, res: Response) => {
    const signed = exportCaller(req, res, options.internalSecret);
    if (!signed) return;
    const { requestId, caller } = signed;
    const log = options.log.child({ requestId });
    const experimentId = String(req.params.experimentId);
    if (!UUID.test(experimentId)) return refuse(res, 400, 'BAD_USER_INPUT', 'the experiment id must be a UUID');
    const names = metricNames(req);
    if (typeof names === 'string') return refuse(res, 400, 'BAD_USER_INPUT', names);
    const store = options.store.runExport;
    const started = performance.now();
    let columns: RunColumns;
    let summaries: Summaries = new Map();
    try {
      const experiment = await store.experiment(experimentId);
      if (!experiment) return refuse(res, 404, 'NOT_FOUND', `experiment ${experimentId} not found`);
      const denied = await accessDenied(options.store, caller, experiment.projectId, experimentId);
      if (denied) return refuse(res, denied.status, denied.code, denied.message);
      const [found, runIds] = await Promise.all([store.columns(experimentId), store.runIds(experimentId)]);
      columns = found;
      if (names.length > 0 && runIds.length > 0) {
        if (!options.services) return refuse(res, 503, 'SERVICE_UNAVAILABLE', 'the metrics service is not configured here');
        summaries = await summariesOf(options.services(requestId), runIds, names);
      }
    } catch (err) {
      log.warn({ err, experimentId }, 'runs export failed before its first row');
      res.setHeader('Retry-After', '1');
      return refuse(res, 503, 'SERVICE_UNAVAILABLE', 'A store the export needs is unavailable; retry shortly');
    }
    res.status(200);
    res.setHeader('Content-Type', 'text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="experiment-${experimentId}-runs.csv"`);
    res.setHeader('Cache-Control', 'no-store');
    let rows = 0;
    try {
      if (!(await write(res, csvLine(header(columns, names))))) return;
      let after: { createdAt: string; id: string } | undefined;
      for (;;) {
        const page = await store.page(experimentId, after, RUNS_PAGE);
        if (page.length === 0) break;
        const text = page.map((run) => csvLine(row(run, columns, names, summaries))).join('');
        if (!(await write(res, text))) return;
        rows += page.length;
        const last = page.at(-1) as ExportedRun;
        after = { createdAt: last.cursorAt, id: last.id };
        if (page.length < RUNS_PAGE) break;
      }
      res.end();
      log.info({ experimentId, rows, metrics: names.length, ms: Math.round(performance.now() - started) }, 'runs exported');
    } catch (err) {
      log.error({ err, experimentId, rows }, 'runs export cut short');
      res.destroy();
    }
  });
}

/** Why the caller may not read the project's runs (no role: NOT_FOUND, as GraphQL answers), or null. */
async function accessDenied(
  store: RegistryStore,
  caller: Caller,
  projectId: string,
  experimentId: string,
): Promise<{ status: number; code: string; message: string } | null> {
  const access = new Access(caller, (userId) => store.identity.membershipsOf(userId));
  if (await access.can(projectId, 'VIEWER')) return null;
  return { status: 404, code: 'NOT_FOUND', message: `experiment ${experimentId} not found` };
}
