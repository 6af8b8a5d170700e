/**
 * Browser tests of the web app: Debian's Chromium driven by playwright-core,
 * signed in through the app's own sign-in form, with every request to
 * another origin and every Content-Security-Policy violation recorded (a
 * test expects both lists empty).
 */
import { type Browser, chromium, type Page } from 'playwright-core';
import { ensureWebBuild } from '../../web/scripts/ensureBuild.mjs';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function launchBrowser(): Promise<Browser> {
  // The tests open the app as built now (postinstall built it; sources edited since are rebuilt).
  ensureWebBuild({ log: () => {} });
  return chromium.launch({
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
  });
}

export interface AppPage {
  page: Page;
  /** URLs requested outside the platform's origin (data: and blob: aside). */
  external: string[];
  /** Console messages reporting a Content-Security-Policy violation. */
  cspViolations: string[];
}

/** A new page of the app at `gatewayUrl`, signed in with `key` through the sign-in form. */
export async function openSignedIn(browser: Browser, gatewayUrl: string, key: string, path = '/'): Promise<AppPage> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const external: string[] = [];
  const cspViolations: string[] = [];
  page.on('request', (request) => {
    const url = request.url();
    const sameOrigin = url.startsWith(gatewayUrl) || url.startsWith(gatewayUrl.replace(/^http/, 'ws'));
    if (!sameOrigin && !url.startsWith('data:') && !url.startsWith('blob:')) external.push(url);
  });
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
  });
  await page.goto(gatewayUrl + path);
  await page.getByLabel('API key or JWT').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor({ timeout: 30_000 });
  return { page, external, cspViolations };
}
