/** GraphiQL served by the gateway: the page, its assets from the package, and which requests get it. */
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GRAPHIQL_ASSETS_PATH, graphiqlAssets, graphiqlPage, wantsGraphiQL } from './graphiql';

const { html: page, contentSecurityPolicy } = graphiqlPage({ endpoint: '/graphql' });

/** Every URL the page names: attributes, CSS url(), string literals and the render options. */
function referencedUrls(html: string): string[] {
  const found = new Set<string>();
  for (const m of html.matchAll(/\b(?:src|href)\s*=\s*"([^"]*)"/g)) found.add(m[1] as string);
  for (const m of html.matchAll(/url\(\s*['"]?([^'")]+)/g)) found.add(m[1] as string);
  for (const m of html.matchAll(/"((?:[a-z]+:)?\/[^"\s]*)"/gi)) found.add(m[1] as string);
  return [...found];
}

describe('the GraphiQL page', () => {
  it('names no external URL: no http(s), ws(s) or protocol-relative address, no CDN', () => {
    expect(page).not.toMatch(/\b(?:https?|wss?):\/\//i);
    expect(page).not.toMatch(/["'(]\/\//);
    expect(page).not.toMatch(/unpkg|jsdelivr|cdnjs|esm\.sh|googleapis/i);
    for (const url of referencedUrls(page)) {
      expect(url === 'data:,' || url.startsWith('/'), url).toBe(true);
    }
  });

  it('loads the bundle and stylesheet from the gateway and sets up the Monaco workers before the bundle', () => {
    const scriptAt = page.indexOf(`${GRAPHIQL_ASSETS_PATH}/yoga-graphiql.js`);
    expect(page).toContain(`href="${GRAPHIQL_ASSETS_PATH}/graphiql.css?v=`);
    expect(scriptAt).toBeGreaterThan(0);
    expect(page.indexOf('self.MonacoEnvironment')).toBeGreaterThan(0);
    expect(page.indexOf('self.MonacoEnvironment')).toBeLessThan(scriptAt);
    for (const label of ['editorWorkerService', 'json', 'graphql']) expect(page).toContain(`"${label}":"/graphiql/workers/`);
  });

  it('comes with a Content-Security-Policy allowing this origin and its own inline scripts only', () => {
    expect(contentSecurityPolicy).toMatch(/^default-src 'self';/);
    expect(contentSecurityPolicy).toMatch(/script-src 'self' 'sha256-[^']+' 'sha256-[^']+';/);
    expect(contentSecurityPolicy).toContain("connect-src 'self'");
    expect(contentSecurityPolicy).not.toMatch(/unsafe-eval|https?:|\*/);
  });

  it('renders with the endpoint, graphql-transport-ws subscriptions and an Authorization header hint', () => {
    const call = page.match(/renderYogaGraphiQL\([^,]+, (\{.*\})\);/);
    expect(call).not.toBeNull();
    const props = JSON.parse(call?.[1] as string) as Record<string, unknown>;
    expect(props.endpoint).toBe('/graphql');
    expect(props.subscriptionsProtocol).toBe('WS');
    expect(JSON.parse(props.headers as string)).toEqual({ Authorization: 'Bearer <your API key>' });
  });
});

describe('the GraphiQL assets', () => {
  let base: string;
  let close: () => void;
  beforeAll(async () => {
    const app = express();
    app.use(GRAPHIQL_ASSETS_PATH, graphiqlAssets());
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => server.close();
  });
  afterAll(() => close());

  it('serves every local URL the page references, with the right type', async () => {
    const assets = referencedUrls(page).filter((u) => u.startsWith(`${GRAPHIQL_ASSETS_PATH}/`));
    expect(assets.length).toBe(5);
    for (const asset of assets) {
      const response = await fetch(`${base}${asset}`);
      expect(response.status, asset).toBe(200);
      expect(response.headers.get('content-type'), asset).toMatch(asset.includes('.css') ? /^text\/css/ : /javascript/);
      expect((await response.arrayBuffer()).byteLength, asset).toBeGreaterThan(10_000);
    }
  });

  it('serves nothing else from disk', async () => {
    for (const probe of [
      '/package.json',
      '/../package.json',
      '/yoga-graphiql.es.js',
      '/monacoeditorwork/editor.worker.bundle.js',
    ]) {
      expect((await fetch(`${base}${GRAPHIQL_ASSETS_PATH}${probe}`)).status, probe).toBe(404);
    }
  });
});

describe('wantsGraphiQL', () => {
  const request = (method: string, accept: string | undefined) => {
    const req = Object.create(express.request) as express.Request;
    Object.assign(req, { method, headers: accept === undefined ? {} : { accept } });
    return req;
  };
  it('is true for a browser navigating to the endpoint', () => {
    expect(wantsGraphiQL(request('GET', 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'))).toBe(true);
  });
  it('is false for GraphQL clients and for POST', () => {
    expect(wantsGraphiQL(request('GET', undefined))).toBe(false);
    expect(wantsGraphiQL(request('GET', '*/*'))).toBe(false);
    expect(wantsGraphiQL(request('GET', 'application/json'))).toBe(false);
    expect(wantsGraphiQL(request('GET', 'application/graphql-response+json, application/json;q=0.9'))).toBe(false);
    expect(wantsGraphiQL(request('POST', 'text/html'))).toBe(false);
  });
});
