/** The web app's routes: index.html for app paths with a strict CSP, immutable assets, API paths left alone. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEB_CONTENT_SECURITY_POLICY, webApp } from './webApp';

describe('the web app', () => {
  let base: string;
  let close: () => void;
  beforeAll(async () => {
    const dist = mkdtempSync(path.join(os.tmpdir(), 'web-dist-'));
    mkdirSync(path.join(dist, 'assets'));
    writeFileSync(path.join(dist, 'index.html'), '<!doctype html><div id="root"></div>');
    writeFileSync(path.join(dist, 'assets', 'index-abc123.js'), 'console.log(1)');
    const app = express();
    app.use(webApp({ distDir: dist }));
    app.use((_req, res) => res.status(404).json({ error: 'not found' }));
    const server = app.listen(0);
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => server.close();
  });
  afterAll(() => close());

  const html = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };

  it('answers app paths with index.html, uncached, under a CSP allowing this origin only', async () => {
    for (const p of ['/', '/projects/abc', '/runs/0b6c-1', '/compare?runs=a,b']) {
      const res = await fetch(base + p, { headers: html });
      expect(res.status, p).toBe(200);
      expect(await res.text()).toContain('id="root"');
      expect(res.headers.get('cache-control')).toBe('no-cache');
      expect(res.headers.get('content-security-policy')).toBe(WEB_CONTENT_SECURITY_POLICY);
    }
    expect(WEB_CONTENT_SECURITY_POLICY).toContain("script-src 'self';");
    expect(WEB_CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-inline|unsafe-eval|https?:|\*/);
  });

  it('serves hashed assets as immutable, and a missing one as 404', async () => {
    const res = await fetch(`${base}/assets/index-abc123.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toMatch(/max-age=31536000.*immutable/);
    expect((await fetch(`${base}/assets/nope.js`)).status).toBe(404);
  });

  it('never answers API paths or file names with the app', async () => {
    for (const p of [
      '/api/2.0/mlflow/runs/get',
      '/ajax-api/2.0/mlflow/x',
      '/v1/metrics',
      '/graphql',
      '/health',
      '/internal/x',
      '/favicon.ico',
    ]) {
      const res = await fetch(base + p, { headers: html });
      expect(res.status, p).toBe(404);
    }
    // A client asking for JSON is not a browser opening a page.
    expect((await fetch(`${base}/projects/x`, { headers: { accept: 'application/json' } })).status).toBe(404);
  });
});
