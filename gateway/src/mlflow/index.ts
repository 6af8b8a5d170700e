/**
 * MLflow's tracking REST API on the gateway's port (docs/api/mlflow.md):
 * /api/2.0/mlflow/... and /ajax-api/2.0/mlflow/... (the routes MLflow's UI
 * calls), plus the mlflow-artifacts proxy routes. Each request is
 * authenticated and rate-limited like GraphQL (requests.ts), then its
 * handler runs GraphQL operations as the caller (session.ts). Errors answer
 * MLflow's `{ error_code, message }`.
 */
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { artifactHandlers, artifactRoutes } from './artifacts';
import { invalid, MlflowError } from './errors';
import { experimentHandlers } from './experiments';
import type { Params } from './mapping';
import { metricHandlers } from './metrics';
import { modelHandlers } from './models';
import { answerError, type MlflowHandlers, type MlflowRoutesOptions, sendMlflowError, sessionOf } from './requests';
import { runHandlers } from './runs';

export { bearerOf, type MlflowRoutesOptions } from './requests';

export const MLFLOW_PATHS = ['/api/2.0/mlflow', '/ajax-api/2.0/mlflow'] as const;
export const MLFLOW_ARTIFACTS_PATH = '/api/2.0/mlflow-artifacts';

const HANDLERS: MlflowHandlers = {
  ...experimentHandlers,
  ...runHandlers,
  ...metricHandlers,
  ...modelHandlers,
  ...artifactHandlers,
};

export function mlflowRoutes(options: MlflowRoutesOptions): Router {
  const router = express.Router();
  const json = express.json({ limit: options.bodyLimitBytes, type: () => true });
  router.use(MLFLOW_ARTIFACTS_PATH, options.observer.observe, artifactRoutes(options));
  for (const base of MLFLOW_PATHS) {
    router.all(`${base}/*endpoint`, options.observer.observe, (req: Request, res: Response, next: NextFunction) => {
      if (req.method !== 'GET' && req.method !== 'HEAD') return json(req, res, next);
      next();
    });
    router.all(`${base}/*endpoint`, async (req: Request, res: Response) => {
      const endpoint = String(req.path.slice(base.length + 1)).replace(/\/$/, '');
      const route = HANDLERS[`${req.method === 'DELETE' ? 'DELETE ' : ''}${endpoint}`];
      if (!route) {
        return sendMlflowError(
          res,
          new MlflowError('ENDPOINT_NOT_FOUND', `No MLflow endpoint ${req.method} ${req.path} on this server`),
        );
      }
      if (route.method === 'POST' && (req.method === 'GET' || req.method === 'HEAD')) {
        res.setHeader('Allow', 'POST');
        return res.status(405).json({ error_code: 'ENDPOINT_NOT_FOUND', message: `${endpoint} changes data: send it by POST` });
      }
      try {
        const session = await sessionOf(options, req, res);
        const body: unknown = req.body ?? {};
        if (body === null || typeof body !== 'object' || Array.isArray(body))
          throw invalid('The request body must be a JSON object');
        const params = { ...(req.query as Params), ...(body as Params) };
        res.json(await route.handler(params, session));
      } catch (err) {
        answerError(res, err);
      }
    });
  }
  // A body express could not read (not JSON, too large) on these routes: MLflow's error shape.
  router.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (!req.path.startsWith('/api/2.0/') && !req.path.startsWith('/ajax-api/2.0/')) return next(err);
    const type = (err as { type?: unknown }).type;
    const message =
      type === 'entity.too.large'
        ? `Request body is larger than ${options.bodyLimitBytes} bytes`
        : 'Request body is not valid JSON';
    sendMlflowError(res, invalid(message));
  });
  return router;
}
