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

  /** An experiment of `count` runs with params, tags, config and a loss curve each; returns its id and the runs in order made. */
  async function experimentWithRuns(name: string, count: number) {
    const {
      projectId,
      experimentId,
      runId: firstRun,
    } = await platform.newRun({ project: name, experiment: 'sweep', run: 'run-000' });
    const runs = [{ id: firstRun, name: 'run-000', minLoss: 0 }];
    for (let i = 1; i < count; i++) {
      const answer = await platform.gql<{ startRun: { id: string } }>(
        'mutation($i: StartRunInput!) { startRun(input: $i) { id } }',
        {
          i: {
            experimentId,
            name: `run-${String(i).padStart(3, '0')}`,
            params: { lr: String(i / 1000), batch: i % 2 ? '64' : '32' },
            tags: { team: 'nlp' },
            config: { model: { layers: i } },
          },
        },
      );
      runs.push({ id: answer.body.data!.startRun.id, name: `run-${String(i).padStart(3, '0')}`, minLoss: 0 });
    }
    const lines: string[] = [];
    runs.forEach((run, i) => {
      run.minLoss = 1 + ((i * 7) % count); // a distinct minimum per run
      for (let step = 0; step < 5; step++)
        lines.push(JSON.stringify({ runId: run.id, name: 'loss', value: run.minLoss + 4 - step, step }));
    });
    await ingest(lines);
    return { projectId, experimentId, runs };
  }

  async function ingest(lines: string[]) {
    const response = await fetch(`${platform.gatewayUrl}/v1/metrics`, {
      method: 'POST',
      headers: { authorization: `Bearer ${platform.adminApiKey}`, 'content-type': 'application/x-ndjson' },
      body: `${lines.join('\n')}\n`,
    });
    expect(response.status).toBe(200);
  }

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

  it('lists the runs made through the API, sorts by a metric and by status, shows a bad filter at its column, selects runs to compare', async () => {
    const { experimentId, runs } = await experimentWithRuns('web-runs', 40);
    const { page, external, cspViolations } = await openSignedIn(
      browser,
      platform.gatewayUrl,
      platform.adminApiKey,
      `/experiments/${experimentId}`,
    );
    const count = page.getByTestId('run-count');
    await expect.poll(() => count.textContent(), { timeout: 30_000 }).toBe('40 runs');
    await page.getByRole('link', { name: 'run-039' }).waitFor();

    // Sort by the smallest loss, largest first (server side): the run whose minimum is largest comes first.
    await page.getByRole('button', { name: 'loss (min)' }).click();
    await expect.poll(() => page.evaluate(() => location.search)).toContain('sort=metric%3Amin%3Aloss%3Adesc');
    const top = [...runs].sort((a, b) => b.minLoss - a.minLoss)[0]!;
    const firstRowName = () => page.locator('table.runs tbody tr[data-index="0"] td a').first().textContent();
    await expect.poll(firstRowName, { timeout: 15_000 }).toBe(top.name);
    expect(await page.locator('th[aria-sort="descending"]').textContent()).toContain('loss (min)');

    // A filter the API refuses: its message and a caret under the column.
    const filter = page.getByLabel('Filter runs');
    await filter.fill("params.lr = and status = 'X'");
    await filter.press('Enter');
    const alert = page.getByRole('alert');
    await expect.poll(() => alert.textContent(), { timeout: 15_000 }).toContain('column 13');
    expect(await page.locator('.caret-line').textContent()).toContain(`${' '.repeat(12)}^`);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'web-filter-error.png') });

    // A good filter narrows the table.
    await filter.fill("params.batch = '64' AND min(metrics.loss) < 21");
    await filter.press('Enter');
    await expect
      .poll(() => count.textContent(), { timeout: 15_000 })
      .toBe(`${runs.filter((r, i) => i % 2 === 1 && r.minLoss < 21).length} runs`);

    // Select two runs: the compare link carries them.
    await filter.fill('');
    await filter.press('Enter');
    await expect.poll(() => count.textContent(), { timeout: 15_000 }).toBe('40 runs');
    const picked: string[] = [];
    for (const index of [0, 1]) {
      const row = page.locator(`table.runs tbody tr[data-index="${index}"]`);
      picked.push((await row.locator('td a').first().textContent()) ?? '');
      await row.getByRole('checkbox').check();
    }
    const compare = page.getByRole('link', { name: 'Compare 2' });
    const href = (await compare.getAttribute('href')) ?? '';
    expect(href.startsWith('/compare?runs=')).toBe(true);
    const pickedIds = picked.map((name) => runs.find((r) => r.name === name)!.id);
    expect(href.slice('/compare?runs='.length).split(',').sort()).toEqual(pickedIds.sort());
    await page.screenshot({ path: path.join(SCREENSHOTS, 'web-runs.png') });

    // Sort by status (server side), ascending: the one finished run comes before the running ones.
    await platform.gql('mutation($id: ID!) { finishRun(id: $id) { id } }', { id: runs[5]!.id });
    await page.getByRole('button', { name: 'Status', exact: true }).click();
    await expect.poll(() => page.evaluate(() => location.search)).toContain('sort=status%3Aasc');
    await expect.poll(firstRowName, { timeout: 15_000 }).toBe(runs[5]!.name);
    expect(external).toEqual([]);
    expect(cspViolations).toEqual([]);
  });

  it('opens a run: its chart grows as points are logged, and a step range zooms exactly', async () => {
    const { runId } = await platform.newRun({ project: 'web-live', experiment: 'live', run: 'watched' });
    await ingest(Array.from({ length: 100 }, (_, step) => JSON.stringify({ runId, name: 'loss', value: 1 / (step + 1), step })));
    const { page, external, cspViolations } = await openSignedIn(
      browser,
      platform.gatewayUrl,
      platform.adminApiKey,
      `/runs/${runId}`,
    );
    await page.getByRole('heading', { name: 'watched' }).waitFor({ timeout: 30_000 });
    const chart = page.locator('figure[data-metric="loss"]');
    await expect.poll(() => chart.getAttribute('data-last-step'), { timeout: 30_000 }).toBe('99');

    // Points logged now arrive through metricStream and are appended to the open chart.
    for (let round = 0; round < 3; round++) {
      const from = 100 + round * 10;
      await ingest(Array.from({ length: 10 }, (_, i) => JSON.stringify({ runId, name: 'loss', value: 0.5, step: from + i })));
      await expect.poll(() => chart.getAttribute('data-last-step'), { timeout: 15_000 }).toBe(String(from + 9));
    }
    // A new metric gets its own chart live.
    await ingest([JSON.stringify({ runId, name: 'accuracy', value: 0.9, step: 1 })]);
    await page.locator('figure[data-metric="accuracy"]').waitFor({ timeout: 15_000 });

    // The metrics subgraph restarts under the open page: the gateway says events may have been lost, and the
    // chart refills the gap from metricSeries: every step logged meanwhile is drawn, none twice.
    await platform.services.metrics.stop();
    await platform.services.metrics.start();
    await ingest(Array.from({ length: 5 }, (_, i) => JSON.stringify({ runId, name: 'loss', value: 0.25, step: 130 + i })));
    await expect.poll(() => chart.getAttribute('data-last-step'), { timeout: 30_000 }).toBe('134');
    await ingest([JSON.stringify({ runId, name: 'loss', value: 0.2, step: 135 })]);
    await expect.poll(() => chart.getAttribute('data-last-step'), { timeout: 30_000 }).toBe('135');
    expect(await chart.locator('[role="img"]').getAttribute('aria-label')).toContain('136 points, steps 0 to 135');

    // Zoom to steps 10..20 (the keyboard's way; a drag calls the same): the range is refetched exactly.
    await page.getByLabel('loss: from step').fill('10');
    await page.getByLabel('loss: to step').fill('20');
    await page.getByLabel('loss: to step').press('Enter');
    await expect.poll(() => chart.getAttribute('data-last-step'), { timeout: 15_000 }).toBe('20');
    expect(await chart.locator('[role="img"]').getAttribute('aria-label')).toContain('11 points, steps 10 to 20');
    await page.getByRole('button', { name: 'Reset zoom' }).first().click();
    await expect.poll(() => chart.getAttribute('data-last-step'), { timeout: 15_000 }).toBe('135');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'web-run.png'), fullPage: true });
    // Dark, following the system: the page and the chart (redrawn in the dark scheme's colours) switch.
    const background = () => page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
    const light = await background();
    await page.emulateMedia({ colorScheme: 'dark' });
    await expect.poll(background).not.toBe(light);
    await expect.poll(() => chart.getAttribute('data-last-step')).toBe('135');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'web-run-dark.png') });
    expect(external).toEqual([]);
    expect(cspViolations).toEqual([]);
  });
});
