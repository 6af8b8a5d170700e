/**
 * The researcher web app (web/), served by the gateway at / on its own port:
 * its hashed files under /assets/ cached as immutable, and index.html for any
 * other GET of an app path (the app routes in the browser), sent with a strict
 * Content-Security-Policy: this origin's scripts, styles and connections only
 * (no inline script, no other origin; the GraphQL socket is same-origin).
 * API paths are never answered with the app: they fall through to their own
 * routes or to a 404.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import express, { type Request, type Router } from 'express';

/** Path prefixes that belong to APIs and tools, never to the app. */
export const NOT_APP_PREFIXES = ['/api/', '/ajax-api/', '/v1/', '/graphql', '/graphiql', '/health', '/metrics', '/internal'];

export const WEB_CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "worker-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export interface WebAppOptions {
  /** The built app (index.html and assets/); default: the dist/ folder of the @lab/web workspace. */
  distDir?: string;
}

/** The dist/ folder of @lab/web, or undefined when the workspace is not installed. */
export function defaultWebDist(): string | undefined {
  try {
    const packageJson = createRequire(import.meta.url).resolve('@lab/web/package.json');
    return path.join(path.dirname(packageJson), 'dist');
  } catch {
    return undefined;
  }
}

/** Whether a request is a browser's GET of an app page (not an API path, not a file name, wants HTML). */
export function isAppPage(req: Request): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const pathname = req.path;
  if (NOT_APP_PREFIXES.some((prefix) => pathname === prefix.replace(/\/$/, '') || pathname.startsWith(prefix))) return false;
  if (/\.[a-z0-9]+$/i.test(pathname)) return false;
  return req.accepts(['text/html', 'application/json']) === 'text/html';
}

export function webApp(options: WebAppOptions = {}): Router {
  const dist = options.distDir ?? defaultWebDist();
  const router = express.Router();
  if (dist) {
    router.use(
      '/assets',
      express.static(path.join(dist, 'assets'), { immutable: true, maxAge: '1y', index: false, fallthrough: false }),
    );
  }
  router.use((req, res, next) => {
    if (!isAppPage(req)) return next();
    res.setHeader('Content-Security-Policy', WEB_CONTENT_SECURITY_POLICY);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    const index = dist && path.join(dist, 'index.html');
    if (!index || !existsSync(index)) {
      res.status(503).type('text/plain').send('The web app is not built: run `npm run build -w web`.\n');
      return;
    }
    res.sendFile(index, { headers: { 'Cache-Control': 'no-cache' } });
  });
  return router;
}
