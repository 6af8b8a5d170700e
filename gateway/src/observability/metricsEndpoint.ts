/**
 * GET /metrics: the gateway's Prometheus metrics (gatewayMetrics.ts) in the
 * text format, behind a bearer token of its own (LAB_METRICS_TOKEN), never an
 * API key: a scraper's credentials should open nothing else. Without the
 * token set, /metrics is off (404).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { type GatewayMetrics, gatewayMetrics } from './gatewayMetrics';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * GET /metrics: the Prometheus text format, for `Authorization: Bearer <token>`
 * only. Without a token configured it answers 404 saying how to turn it on.
 */
export function metricsEndpoint(options: { token: string | undefined; metrics?: GatewayMetrics }): RequestHandler {
  const metrics = options.metrics ?? gatewayMetrics;
  const expected = options.token === undefined ? undefined : digest(options.token);
  return async (req, res) => {
    if (!expected) {
      res.status(404).json({
        code: 'NOT_FOUND',
        message: 'GET /metrics is off: set LAB_METRICS_TOKEN and send it as "Authorization: Bearer <token>"',
      });
      return;
    }
    const match = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    if (!match?.[1] || !timingSafeEqual(digest(match[1]), expected)) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="metrics"');
      res
        .status(401)
        .json({ code: 'UNAUTHENTICATED', message: 'GET /metrics needs "Authorization: Bearer <LAB_METRICS_TOKEN>"' });
      return;
    }
    res.setHeader('Content-Type', metrics.contentType);
    res.setHeader('Cache-Control', 'no-store');
    res.send(await metrics.text());
  };
}
