/**
 * The web app in Debian's Chromium against a real platform: signing in,
 * the runs an API client made, the filter language's errors, a run's page
 * and its chart growing live as points are logged through POST /v1/metrics.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, openSignedIn } from './support/browser';
import { startTestPlatform, type TestPlatform } from './support/testPlatform';

const SCREENSHOTS = path.resolve(import.meta.dirname, '..', 'test-results');

describe('the web app in a real browser', () => {
  let platform: TestPlatform;
  let browser: Browser;
  beforeAll(async () => {
    [platform, browser] = await Promise.all([startTestPlatform(), launchBrowser()]);
    mkdirSync(SCREENSHOTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await platform?.stop();
  });

  it('is served at / under its CSP, refuses a wrong key, signs in and out', async () => {
    const response = await fetch(`${platform.gatewayUrl}/projects/x`, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");

    const page = await browser.newPage();
    await page.goto(platform.gatewayUrl);
    await page.getByLabel('API key or JWT').fill('not-a-key-0123456789abcdef');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent(), { timeout: 15_000 }).toContain('not valid');
    await page.close();

    const { page: signedIn, external, cspViolations } = await openSignedIn(browser, platform.gatewayUrl, platform.adminApiKey);
    await signedIn.getByRole('heading', { name: 'Projects' }).waitFor();
    expect(await signedIn.evaluate(() => location.href)).not.toContain(platform.adminApiKey);
    await signedIn.getByRole('button', { name: 'Sign out' }).click();
    await signedIn.getByLabel('API key or JWT').waitFor();
    expect(await signedIn.evaluate(() => sessionStorage.length)).toBe(0);
    expect(external).toEqual([]);
    expect(cspViolations).toEqual([]);
  });
});
