/**
 * GET /v1/export/runs/{runId}/metrics/{name}.csv | .parquet[?fromStep=&toStep=]:
 * one run's series of one metric as a file, behind the gateway (which
 * authenticates the caller, checks the read scope and signs the caller context
 * for this exact request line). Here, at the moment of use, the registry says
 * whether the caller may read the run (unknown or hidden: 404 NOT_FOUND);
 * a name outside the metric name rules or a bad step range is 400
 * BAD_USER_INPUT, a metric the run never logged 404 NOT_FOUND. The file is
 * streamed as ClickHouse writes it (store/exportStore.ts); a failure after the
 * first bytes can only cut the response short, which the client sees as an
 * incomplete transfer.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type Caller, EXPORT_PATH, type Logger } from '@lab/shared';
import { exportCaller } from '@lab/shared/internal';
import type { Express, Request, Response } from 'express';
import type { RunAccess } from '../ingest/runAccess';
import { isUuid, METRIC_NAME } from '../ingest/validate';
import type { ExportStore, SeriesRange } from '../store/exportStore';

export const SERIES_EXPORT_ROUTE = `${EXPORT_PATH}/runs/:runId/metrics/*file`;

const FORMATS = {
  csv: { type: 'text/csv; charset=utf-8', extension: 'csv' },
  parquet: { type: 'application/vnd.apache.parquet', extension: 'parquet' },
} as const;

export interface SeriesExportOptions {
  store: ExportStore;
  internalSecret: string;
  log: Logger;
  runAccess(requestId: string, caller: Caller): RunAccess;
}

function refuse(res: Response, status: number, code: string, message: string): void {
  for (const name of ['Content-Type', 'Content-Disposition']) res.removeHeader(name);
  res.status(status).json({ code, message });
}

/** A file name of letters, digits, '.', '-' and '_' only (a metric's '/' becomes '_'). */
export function safeFileName(...parts: string[]): string {
  return parts
    .join('-')
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .slice(0, 200);
}

/** A step bound from the query string: absent, or a whole number from 0 to 2^53 - 1; else why not. */
function stepBound(value: unknown, name: string): number | undefined | string {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^\d{1,16}$/.test(value) || !Number.isSafeInteger(Number(value))) {
    return `${name} must be a whole number from 0 to ${Number.MAX_SAFE_INTEGER}`;
  }
  return Number(value);
}

/** The metric name and format of `{name}.csv` / `{name}.parquet`, the range; else the reason it is refused. */
function parseRequest(req: Request): { name: string; format: keyof typeof FORMATS; range: SeriesRange } | string {
  const file = req.params.file as unknown;
  const path = Array.isArray(file) ? file.join('/') : String(file ?? '');
  const match = /^(.+)\.(csv|parquet)$/.exec(path);
  if (!match) return 'the file must be {metric name}.csv or {metric name}.parquet';
  const name = match[1] as string;
  if (!METRIC_NAME.test(name)) {
    return `"${name.slice(0, 60)}" is not a metric name (letters, digits, _ . / -, starting with a letter, digit or _, at most 200 characters)`;
  }
  const unknown = Object.keys(req.query).find((k) => k !== 'fromStep' && k !== 'toStep');
  if (unknown !== undefined) return `unknown query parameter ${unknown.slice(0, 40)} (fromStep and toStep are known)`;
  const fromStep = stepBound(req.query.fromStep, 'fromStep');
  const toStep = stepBound(req.query.toStep, 'toStep');
  if (typeof fromStep === 'string') return fromStep;
  if (typeof toStep === 'string') return toStep;
  if (fromStep !== undefined && toStep !== undefined && fromStep > toStep) return 'fromStep must not be greater than toStep';
  const range: SeriesRange = {
    ...(fromStep === undefined ? {} : { fromStep }),
    ...(toStep === undefined ? {} : { toStep }),
  };
  return { name, format: match[2] as keyof typeof FORMATS, range };
}

export function mountSeriesExport(app: Express, options: SeriesExportOptions): void {
  app.get(SERIES_EXPORT_ROUTE, async (req: Request, res: Response) => {
    const signed = exportCaller(req, res, options.internalSecret);
    if (!signed) return;
    const { requestId, caller } = signed;
    const log = options.log.child({ requestId });
    const runId = String(req.params.runId);
    if (!isUuid(runId)) return refuse(res, 400, 'BAD_USER_INPUT', 'the run id must be a UUID');
    const parsed = parseRequest(req);
    if (typeof parsed === 'string') return refuse(res, 400, 'BAD_USER_INPUT', parsed);
    const { name, format, range } = parsed;
    try {
      const experimentId = await options.runAccess(requestId, caller).experimentOf(runId);
      if (!experimentId) return refuse(res, 404, 'NOT_FOUND', `run ${runId} not found`);
      if (!(await options.store.hasMetric(runId, name))) {
        return refuse(res, 404, 'NOT_FOUND', `run ${runId} never logged the metric ${name}`);
      }
    } catch (err) {
      const code = (err as { extensions?: { code?: string } }).extensions?.code;
      if (code !== 'SERVICE_UNAVAILABLE') log.warn({ err }, 'series export check failed');
      res.setHeader('Retry-After', '1');
      return refuse(res, 503, 'SERVICE_UNAVAILABLE', 'The metrics or registry store is unavailable; retry shortly');
    }
    const started = performance.now();
    const { type, extension } = FORMATS[format];
    res.status(200);
    res.setHeader('Content-Type', type);
    res.setHeader('Content-Disposition', `attachment; filename="${safeFileName('run', runId, name)}.${extension}"`);
    res.setHeader('Cache-Control', 'no-store');
    try {
      const body =
        format === 'csv'
          ? Readable.from(options.store.seriesCsv(runId, name, range))
          : await options.store.seriesParquet(runId, name, range);
      await pipeline(body, res);
      log.info({ runId, name, format, ms: Math.round(performance.now() - started) }, 'series exported');
    } catch (err) {
      if (res.destroyed && !res.writableFinished && (err as { code?: string }).code === 'ERR_STREAM_PREMATURE_CLOSE') {
        log.info({ runId, name }, 'series export abandoned by the client');
        return;
      }
      log.error({ err, runId, name }, 'series export failed');
      if (!res.headersSent) refuse(res, 503, 'SERVICE_UNAVAILABLE', 'The metrics store is unavailable; retry shortly');
      else res.destroy();
    }
  });
}
