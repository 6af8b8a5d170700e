/**
 * GraphiQL, served by the gateway itself: GET /graphql from a browser gets a
 * page that loads @graphql-yoga/graphiql's bundle, stylesheet and Monaco
 * workers from /graphiql/… on this same origin. No CDN, no external URL.
 * The page is public; every operation it sends needs an API key.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import express, { type Request, type Router } from 'express';

export const GRAPHIQL_ASSETS_PATH = '/graphiql';

const require = createRequire(import.meta.url);
const packageJson = require.resolve('@graphql-yoga/graphiql/package.json');
const DIST = path.join(path.dirname(packageJson), 'dist');
const VERSION = (require(packageJson) as { version: string }).version;

/** Public asset name → file in the package's dist (the only files served). */
const ASSETS: Record<string, string> = {
  'graphiql.css': 'graphiql.css',
  'yoga-graphiql.js': 'yoga-graphiql.umd.js',
  'workers/editor.worker.js': 'monacoeditorwork/editor.worker.bundle.js',
  'workers/json.worker.js': 'monacoeditorwork/json.worker.bundle.js',
  'workers/graphql.worker.js': 'monacoeditorwork/graphql.worker..bundle.js',
};

/** Monaco asks for a worker by label; these are the labels the bundle uses. */
const WORKER_BY_LABEL = { editorWorkerService: 'editor', json: 'json', graphql: 'graphql' };

export interface GraphiQLPageOptions {
  /** Where operations go (and subscriptions, over graphql-transport-ws). */
  endpoint: string;
  /** Where the assets are mounted. */
  assetsPath?: string;
  title?: string;
}

const WELCOME_QUERY = `# Lab Data Platform — GraphiQL
#
# Every operation needs an API key: put it in the Headers tab below as
#   { "Authorization": "Bearer <your API key>" }
# Run with Ctrl-Enter; Ctrl-Space completes.

query Me {
  me {
    id
    email
    name
  }
}
`;

/** JSON that is safe inside a <script> element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

export interface GraphiQLPage {
  html: string;
  /** Allows this origin only, and the page's own two inline scripts by hash. */
  contentSecurityPolicy: string;
}

const scriptHash = (code: string) => `'sha256-${createHash('sha256').update(code).digest('base64')}'`;

export function graphiqlPage(options: GraphiQLPageOptions): GraphiQLPage {
  const assets = options.assetsPath ?? GRAPHIQL_ASSETS_PATH;
  const asset = (name: string) => `${assets}/${name}?v=${VERSION}`;
  const workers = Object.fromEntries(
    Object.entries(WORKER_BY_LABEL).map(([label, file]) => [label, asset(`workers/${file}.worker.js`)]),
  );
  const props = {
    endpoint: options.endpoint,
    subscriptionsProtocol: 'WS',
    title: options.title ?? 'Lab Data Platform',
    query: WELCOME_QUERY,
    headers: JSON.stringify({ Authorization: 'Bearer <your API key>' }, null, 2),
    shouldPersistHeaders: true,
  };
  const setup = `
      const workers = ${scriptJson(workers)};
      self.MonacoEnvironment = {
        globalAPI: false,
        getWorkerUrl: (_moduleId, label) => new URL(workers[label] || workers.editorWorkerService, location.href).toString(),
      };
    `;
  const render = `
      YogaGraphiQL.renderYogaGraphiQL(document.getElementById('graphiql'), ${scriptJson(props)});
    `;
  const html = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>${props.title} · GraphiQL</title>
    <link rel="icon" href="data:," />
    <link rel="stylesheet" href="${asset('graphiql.css')}" />
    <style>html, body, #graphiql { height: 100%; margin: 0; }</style>
  </head>
  <body>
    <noscript>GraphiQL needs JavaScript.</noscript>
    <div id="graphiql"></div>
    <script>${setup}</script>
    <script src="${asset('yoga-graphiql.js')}"></script>
    <script>${render}</script>
  </body>
</html>
`;
  const contentSecurityPolicy = [
    "default-src 'self'",
    `script-src 'self' ${scriptHash(setup)} ${scriptHash(render)}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "worker-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return { html, contentSecurityPolicy };
}

/** A browser navigating to the endpoint (prefers HTML over JSON), not a GraphQL client. */
export function wantsGraphiQL(req: Request): boolean {
  return (
    req.method === 'GET' && req.accepts(['application/json', 'application/graphql-response+json', 'text/html']) === 'text/html'
  );
}

/** Serves the page's assets (the fixed list above, nothing else from disk). */
export function graphiqlAssets(): Router {
  const router = express.Router();
  for (const [name, file] of Object.entries(ASSETS)) {
    router.get(`/${name}`, (_req, res) => {
      res.sendFile(path.join(DIST, file), { maxAge: '1d' });
    });
  }
  return router;
}
