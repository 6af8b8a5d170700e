import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform } from './support/testPlatform';

const SCREENSHOTS = path.resolve(import.meta.dirname, '..', 'test-results');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Replaces the editor's document with `text`, as a user would (select all,
 * type). An edit made while GraphiQL is still loading (the schema, the saved
 * tabs) can be lost or merged with the welcome document, so this waits for the
 * page to settle and checks the editor shows exactly `text`.
 */
async function replaceQuery(page: Page, text: string): Promise<void> {
  const editor = page.locator('.graphiql-query-editor .monaco-editor').first();
  const lines = page.locator('.graphiql-query-editor .view-lines').first();
  const shown = async () =>
    // biome-ignore lint/performance/useDomNodeTextContent: a Playwright locator method
    (await lines.innerText()).replace(/\u00a0/g, ' ');
  await expect.poll(shown, { timeout: 30_000 }).toContain('query Me'); // the welcome document
  await page.waitForTimeout(1000);
  for (let i = 0; i < 10; i++) {
    await editor.click({ timeout: 30_000 });
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.press('Delete');
    await page.keyboard.insertText(text);
    await page.waitForTimeout(500);
    if ((await shown()) !== text) continue;
    await page.waitForTimeout(500);
    if ((await shown()) === text) return;
  }
  throw new Error(`the editor does not show the query: ${await shown()}`);
}

describe('GraphiQL in a real browser', () => {
  let platform: TestPlatform;
  let browser: Browser;
  beforeAll(async () => {
    [platform, browser] = await Promise.all([
      startTestPlatform(),
      chromium.launch({
        executablePath: CHROMIUM,
        args: [
          '--no-sandbox',
          '--disable-gpu',
          '--disable-quic',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
        ],
      }),
    ]);
  });
  afterAll(async () => {
    await browser?.close();
    await platform?.stop();
  });

  it('loads from the gateway alone and runs a query', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const external: string[] = [];
    page.on('request', (request) => {
      if (
        !request.url().startsWith(platform.gatewayUrl) &&
        !request.url().startsWith('data:') &&
        !request.url().startsWith('blob:')
      ) {
        external.push(request.url());
      }
    });
    const query = '{ me { isAdmin } registryStatus { store } metricsStatus { store } artifactsStatus { store } }';
    // GraphiQL keeps the request headers a user entered in localStorage: start it with our key.
    await page.addInitScript(
      (headers) => localStorage.setItem('graphiql:headers', headers),
      JSON.stringify({ Authorization: `Bearer ${platform.adminApiKey}` }),
    );
    const response = await page.goto(platform.graphqlUrl);
    expect(response?.status()).toBe(200);
    // Replace the welcome query with ours, as a user would, and run it.
    await replaceQuery(page, query);
    await page.locator('.graphiql-execute-button').click();
    const result = page.locator('.result-window');
    // Playwright's innerText (the text as shown, lines kept), not the DOM property biome means.
    // biome-ignore lint/performance/useDomNodeTextContent: a Playwright locator method
    const shownText = async () => (await result.innerText()).replace(/\u00a0/g, ' '); // the editor shows non-breaking spaces
    await expect.poll(shownText, { timeout: 30_000 }).toContain('artifactsStatus');
    const shown = JSON.parse(await shownText());
    expect(shown.errors).toBeUndefined();
    expect(shown.data.me.isAdmin).toBe(true);
    expect(shown.data.artifactsStatus.store).toBe('s3');
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SCREENSHOTS, 'graphiql.png') });
    expect(external).toEqual([]);
  });

  it('runs a subscription over WebSocket with the headers of its Headers tab', async () => {
    const { runId } = await platform.newRun({ project: 'graphiql-live', experiment: 'watched', run: 'in-graphiql' });
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.addInitScript(
      (headers) => localStorage.setItem('graphiql:headers', headers),
      JSON.stringify({ Authorization: `Bearer ${platform.adminApiKey}` }),
    );
    await page.goto(platform.graphqlUrl);
    await replaceQuery(page, `subscription { metricStream(runId: "${runId}") { name step run { name experiment { name } } } }`);
    await page.locator('.graphiql-execute-button').click();
    const result = page.locator('.result-window');
    // biome-ignore lint/performance/useDomNodeTextContent: a Playwright locator method
    const shownText = async () => (await result.innerText()).replace(/\u00a0/g, ' ');
    let step = 0;
    await expect
      .poll(
        async () => {
          await platform.gql('mutation($r: ID!, $p: [MetricPointInput!]!) { logMetrics(runId: $r, points: $p) { accepted } }', {
            r: runId,
            p: [{ name: 'loss', value: 0.5, step: step++ }],
          });
          return shownText();
        },
        { timeout: 30_000, interval: 500 },
      )
      .toContain('in-graphiql');
    const shown = JSON.parse(await shownText());
    expect(shown.errors).toBeUndefined();
    expect(shown.data.metricStream.run).toEqual({ name: 'in-graphiql', experiment: { name: 'watched' } });
    await page.screenshot({ path: path.join(SCREENSHOTS, 'graphiql-subscription.png') });
  });
});
