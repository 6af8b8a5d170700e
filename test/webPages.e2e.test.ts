/**
 * The web app's compare, model, dataset, prompt and audit pages in Debian's
 * Chromium against a real platform, with data made through the API:
 * comparing two runs (legend, charts, the differing param), downloading a
 * file uploaded through a presigned PUT (same bytes), setting a model alias
 * (read back through GraphQL), a prompt's render preview. Screenshots go to
 * test-results/ (docs/images/ with LAB_WEB_SCREENSHOTS=docs; then `pngquant --ext .png --force
 * docs/images/*.png` keeps them small).
 */
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, openSignedIn } from './support/browser';
import { startTestPlatform, type TestPlatform } from './support/testPlatform';

const ROOT = path.resolve(import.meta.dirname, '..');
const SHOTS = path.join(ROOT, process.env.LAB_WEB_SCREENSHOTS === 'docs' ? 'docs/images' : 'test-results');

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), clip: { x: 0, y: 0, width: 1400, height: 780 } });
}

describe('the web app pages beyond runs, in a real browser', () => {
  let platform: TestPlatform;
  let browser: Browser;
  let page: Page;
  let external: string[];
  let cspViolations: string[];
  /** The object store's origin: a download is the one navigation allowed to leave the platform's origin. */
  let storeOrigin = '';

  async function data<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const answer = await platform.gql<T>(query, variables);
    if (answer.body.errors?.length || !answer.body.data) throw new Error(JSON.stringify(answer.body.errors));
    return answer.body.data;
  }

  /** A file put under its owner through requestUpload, a PUT to the presigned URL and completeUpload. */
  async function upload(ownerKind: string, ownerId: string, name: string, bytes: Buffer): Promise<void> {
    const { requestUpload } = await data<{
      requestUpload: { uploadId: string; url: string; headers: { name: string; value: string }[] };
    }>('mutation($i: RequestUploadInput!) { requestUpload(input: $i) { uploadId url headers { name value } } }', {
      i: { ownerKind, ownerId, name, sizeBytes: bytes.length, contentType: 'application/octet-stream' },
    });
    const put = await fetch(requestUpload.url, {
      method: 'PUT',
      headers: Object.fromEntries(requestUpload.headers.map((h) => [h.name, h.value])),
      body: new Uint8Array(bytes),
    });
    expect(put.status).toBe(200);
    await data('mutation($id: ID!) { completeUpload(uploadId: $id) { id } }', { id: requestUpload.uploadId });
  }

  beforeAll(async () => {
    [platform, browser] = await Promise.all([startTestPlatform(), launchBrowser()]);
    mkdirSync(SHOTS, { recursive: true });
    ({ page, external, cspViolations } = await openSignedIn(browser, platform.gatewayUrl, platform.adminApiKey));
  });
  afterAll(async () => {
    await browser?.close();
    await platform?.stop();
  });

  it('compares two runs: both in the legend, a chart per metric, the differing param highlighted', async () => {
    const { experimentId, runId: first } = await platform.newRun({ project: 'vision', experiment: 'resnet', run: 'lr-0.1' });
    await data('mutation($id: ID!) { updateRun(id: $id, input: { addParams: { lr: "0.1", seed: "7" } }) { id } }', { id: first });
    const { startRun } = await data<{ startRun: { id: string } }>(
      'mutation($e: ID!) { startRun(input: { experimentId: $e, name: "lr-0.01", params: { lr: "0.01", seed: "7" }, config: { model: { depth: 50 } } }) { id } }',
      { e: experimentId },
    );
    const second = startRun.id;
    for (const [run, scale] of [
      [first, 1],
      [second, 0.6],
    ] as const) {
      const points = Array.from({ length: 200 }, (_, step) => [
        { name: 'loss', step, value: scale * (2 / (1 + step / 20)) },
        { name: 'accuracy', step, value: 1 - scale / (1 + step / 30) },
      ]).flat();
      await data('mutation($r: ID!, $p: [MetricPointInput!]!) { logMetrics(runId: $r, points: $p) { accepted } }', {
        r: run,
        p: points,
      });
    }

    let seriesRequests = 0;
    page.on('request', (request) => {
      if (request.postData()?.includes('CompareSeries')) seriesRequests++;
    });
    await page.goto(`${platform.gatewayUrl}/compare?runs=${first},${second}`);
    await page.getByRole('heading', { name: 'Compare 2 runs' }).waitFor();
    const legend = page.getByRole('list', { name: 'Legend' });
    await expect.poll(() => legend.getByRole('link').allTextContents()).toEqual(['lr-0.1', 'lr-0.01']);
    await page.getByRole('img', { name: 'loss of 2 runs' }).locator('canvas').waitFor();
    await page.getByRole('img', { name: 'accuracy of 2 runs' }).locator('canvas').waitFor();
    await expect.poll(() => page.getByText('Loading…').count()).toBe(0);
    // Settled: the charts do not ask again by themselves (a width change must not refetch in a loop).
    const asked = seriesRequests;
    await page.waitForTimeout(1000);
    expect(seriesRequests).toBe(asked);

    const summaries = page.getByRole('table', { name: 'Metric summaries' });
    expect(await summaries.getByRole('row', { name: /^loss/ }).getByRole('cell').allTextContents()).toEqual([
      '0.182648',
      '0.109589',
    ]);
    const diff = page.getByRole('table', { name: 'Params and config' });
    await expect
      .poll(() => diff.getByRole('rowheader').allTextContents())
      .toEqual(['params.lr (differs)', 'config.model.depth (differs)']);
    expect(
      await diff
        .getByRole('row', { name: /params\.lr/ })
        .getByRole('cell')
        .allTextContents(),
    ).toEqual(['0.1', '0.01']);
    await page.getByLabel(/Show all \d+ keys/).check();
    await expect.poll(() => diff.getByRole('rowheader').allTextContents()).toContain('params.seed');
    // Zoom from the keyboard: every chart fetches steps 50 to 100; hovering reads out both runs' values there.
    await page.getByLabel('Compared charts: from step').fill('50');
    await page.getByLabel('Compared charts: to step').fill('100');
    await page.getByLabel('Compared charts: to step').press('Enter');
    await page.getByText('Steps 50 to 100').waitFor();
    await expect.poll(() => page.getByText('Loading…').count()).toBe(0);
    const loss = page.getByRole('img', { name: 'loss of 2 runs' });
    await loss.locator('.u-over').hover();
    const readout = loss.locator('xpath=following-sibling::p[1]');
    await expect.poll(() => readout.textContent()).toMatch(/^step (\d+) lr-0\.1 [\d.]+ lr-0\.01 [\d.]+$/);
    const hovered = Number(/^step (\d+)/.exec((await readout.textContent()) ?? '')?.[1]);
    expect(hovered).toBeGreaterThanOrEqual(50);
    expect(hovered).toBeLessThanOrEqual(100);
    await page.getByRole('button', { name: 'Reset zoom' }).click();
    await page.getByText('All steps').waitFor();
    await expect.poll(() => page.getByText('Loading…').count()).toBe(0);
    await shot(page, 'compare');
    // The pages follow the system's dark scheme, charts included.
    await page.emulateMedia({ colorScheme: 'dark' });
    await expect
      .poll(() => page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor))
      .toBe('rgb(15, 18, 22)');
    await page.getByRole('img', { name: 'loss of 2 runs' }).locator('canvas').waitFor();
    await shot(page, 'compare-dark');
    await page.emulateMedia({ colorScheme: 'light' });
  });

  it("on a run's page: downloads an output file byte for byte, edits the notes, adds and removes a tag", async () => {
    const { runId } = await platform.newRun({ project: 'speech', experiment: 'whisper', run: 'ft-1' });
    const bytes = Buffer.from(Array.from({ length: 40_000 }, (_, i) => (i * 17 + 3) % 256));
    await upload('RUN', runId, 'checkpoints/step-100.pt', bytes);

    await page.goto(`${platform.gatewayUrl}/runs/${runId}`);
    const link = page.getByRole('link', { name: 'Download checkpoints/step-100.pt' });
    await link.waitFor();
    storeOrigin = new URL((await link.getAttribute('href')) as string).origin;
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    expect(download.suggestedFilename()).toBe('step-100.pt');
    expect(Buffer.compare(readFileSync(await download.path()), bytes)).toBe(0);

    await page.getByRole('button', { name: 'Edit notes' }).click();
    await page.getByLabel('Notes (Markdown)').fill('## Findings\n\nWarm-up **helps**.');
    await page.getByRole('button', { name: 'Save notes' }).click();
    await page.getByRole('heading', { name: 'Findings' }).waitFor();
    const focused = (locator: ReturnType<Page['getByRole']>) => locator.evaluate((el) => el === document.activeElement);
    // Keyboard users land back where they were: on Edit notes after saving, in the Tag box after adding.
    await expect.poll(() => focused(page.getByRole('button', { name: 'Edit notes' }))).toBe(true);
    await page.getByRole('textbox', { name: 'Tag' }).fill('stage');
    await page.getByRole('textbox', { name: 'Value' }).fill('baseline');
    await page.getByRole('button', { name: 'Add tag' }).click();
    await page.getByRole('button', { name: 'Remove tag stage' }).waitFor();
    await expect.poll(() => focused(page.getByRole('textbox', { name: 'Tag' }))).toBe(true);
    const read = () =>
      data<{ run: { notes: string; tags: Record<string, string> } }>('query($id: ID!) { run(id: $id) { notes tags } }', {
        id: runId,
      });
    expect(await read()).toEqual({ run: { notes: '## Findings\n\nWarm-up **helps**.', tags: { stage: 'baseline' } } });
    await shot(page, 'run-details');
    await page.getByRole('button', { name: 'Remove tag stage' }).click();
    await expect.poll(async () => (await read()).run.tags).toEqual({});
  });

  it("lists a model version's file and downloads the very bytes uploaded; sets an alias read back through GraphQL", async () => {
    const { projectId } = await platform.newRun({ project: 'nlp', experiment: 'bert', run: 'base' });
    const { registerModel } = await data<{ registerModel: { id: string } }>(
      'mutation($p: ID!) { registerModel(input: { projectId: $p, name: "sentiment", description: "Binary sentiment classifier" }) { id } }',
      { p: projectId },
    );
    const modelId = registerModel.id;
    const versions: string[] = [];
    for (const description of ['first cut', 'more data']) {
      const { createModelVersion } = await data<{ createModelVersion: { id: string } }>(
        'mutation($m: ID!, $d: String) { createModelVersion(input: { modelId: $m, description: $d }) { id } }',
        { m: modelId, d: description },
      );
      versions.push(createModelVersion.id);
    }
    const bytes = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 31 + 7) % 256));
    await upload('MODEL_VERSION', versions[0] as string, 'weights/model.bin', bytes);

    await page.goto(`${platform.gatewayUrl}/models/${modelId}`);
    await page.getByRole('heading', { name: 'sentiment' }).waitFor();
    await page.getByText('Version 1', { exact: true }).click();
    const link = page.getByRole('link', { name: 'Download weights/model.bin' });
    await link.waitFor();
    const href = (await link.getAttribute('href')) as string;
    expect(href).not.toContain(platform.adminApiKey);
    storeOrigin = new URL(href).origin;
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    expect(download.suggestedFilename()).toBe('model.bin');
    const saved = await download.path();
    expect(Buffer.compare(readFileSync(saved), bytes)).toBe(0);

    await page.getByRole('textbox', { name: 'Alias' }).fill('production');
    await page.getByRole('combobox', { name: 'Version' }).selectOption('2');
    await page.getByRole('button', { name: 'Set alias' }).click();
    await page.getByRole('button', { name: 'Remove alias production' }).waitFor();
    const { model } = await data<{ model: { alias: { version: number } | null } }>(
      'query($id: ID!) { model(id: $id) { alias(name: "production") { version } } }',
      { id: modelId },
    );
    expect(model.alias?.version).toBe(2);
    await shot(page, 'model');

    await page.goto(`${platform.gatewayUrl}/models`);
    await page.getByRole('link', { name: 'sentiment' }).waitFor();
  });

  it("shows a dataset's versions, the runs that read them and their files", async () => {
    const { projectId, experimentId } = await platform.newRun({ project: 'corpora', experiment: 'tok', run: 'warmup' });
    const { createDataset } = await data<{ createDataset: { id: string } }>(
      'mutation($p: ID!) { createDataset(input: { projectId: $p, name: "wiki-en", description: "English Wikipedia dump" }) { id } }',
      { p: projectId },
    );
    const { createDatasetVersion } = await data<{ createDatasetVersion: { id: string } }>(
      'mutation($d: ID!) { createDatasetVersion(input: { datasetId: $d, label: "2026-11", format: "jsonl", rowCount: 1200 }) { id } }',
      { d: createDataset.id },
    );
    await upload('DATASET_VERSION', createDatasetVersion.id, 'part-0.jsonl', Buffer.from('{"text":"hello"}\n'));
    await data('mutation($e: ID!, $v: [ID!]) { startRun(input: { experimentId: $e, name: "reads-wiki", inputs: $v }) { id } }', {
      e: experimentId,
      v: [createDatasetVersion.id],
    });

    await page.goto(`${platform.gatewayUrl}/datasets`);
    await page.getByRole('link', { name: 'wiki-en' }).click();
    await page.getByRole('heading', { name: 'wiki-en' }).waitFor();
    await page.getByText('2026-11', { exact: true }).click();
    await page.getByRole('link', { name: 'Download part-0.jsonl' }).waitFor();
    await page.getByRole('link', { name: 'reads-wiki' }).waitFor();
    await shot(page, 'dataset');
  });

  it('renders a prompt version through the API and shows the audit log', async () => {
    const { projectId } = await platform.newRun({ project: 'assistants', experiment: 'eval', run: 'r1' });
    const { createPromptTemplate } = await data<{ createPromptTemplate: { id: string } }>(
      'mutation($p: ID!) { createPromptTemplate(input: { projectId: $p, name: "summarise" }) { id } }',
      { p: projectId },
    );
    await data(
      'mutation($t: ID!) { createPromptVersion(input: { templateId: $t, template: "Summarise for {{ audience }}:\\n{{text}}", commitMessage: "first" }) { id } }',
      { t: createPromptTemplate.id },
    );
    await page.goto(`${platform.gatewayUrl}/prompts/${createPromptTemplate.id}`);
    await page.getByRole('heading', { name: 'summarise' }).waitFor();
    await page.getByLabel('audience').fill('engineers');
    await page.getByLabel('text').fill('It works.');
    await page.getByRole('button', { name: 'Render' }).click();
    await expect
      .poll(() => page.getByRole('region', { name: 'Rendered prompt' }).textContent())
      .toBe('Summarise for engineers:\nIt works.');
    await shot(page, 'prompt');

    await page.goto(`${platform.gatewayUrl}/audit`);
    await page.getByRole('heading', { name: 'Audit log' }).waitFor();
    await page.getByLabel('Action').fill('promptVersion.create');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => page.getByRole('table').getByRole('row').count(), { timeout: 15_000 }).toBe(2);
    await page.getByLabel('Action').fill('');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => page.getByRole('table').getByRole('row').count(), { timeout: 15_000 }).toBeGreaterThan(5);
    await shot(page, 'audit');

    expect(external.filter((url) => !storeOrigin || !url.startsWith(storeOrigin))).toEqual([]);
    expect(cspViolations).toEqual([]);
  });

  it("shows an owner only their project's audit log, and a viewer none", async () => {
    const { projectId } = await platform.newRun({ project: 'owned-by-ana', experiment: 'e', run: 'r' });
    const { projectId: otherId } = await platform.newRun({ project: 'not-anas', experiment: 'e', run: 'r' });
    const keyOf = async (email: string, role: string, project: string): Promise<string> => {
      const { createUser } = await data<{ createUser: { id: string } }>(
        'mutation($e: String!) { createUser(input: { email: $e, name: $e }) { id } }',
        { e: email },
      );
      await data(
        'mutation($p: ID!, $u: ID!, $r: ProjectRole!) { addProjectMember(projectId: $p, userId: $u, role: $r) { role } }',
        {
          p: project,
          u: createUser.id,
          r: role,
        },
      );
      const { createApiKey } = await data<{ createApiKey: { secret: string } }>(
        'mutation($u: ID!) { createApiKey(input: { name: "web", userId: $u }) { secret } }',
        { u: createUser.id },
      );
      return createApiKey.secret;
    };

    const owner = await openSignedIn(browser, platform.gatewayUrl, await keyOf('ana@lab.test', 'OWNER', projectId), '/audit');
    const projectBox = owner.page.getByRole('combobox', { name: 'Project' });
    await projectBox.waitFor();
    expect(await projectBox.locator('option').allTextContents()).toEqual(['owned-by-ana']);
    await expect.poll(() => owner.page.getByRole('table').getByRole('row').count(), { timeout: 15_000 }).toBeGreaterThan(2);
    const entities = await owner.page.getByRole('table').getByRole('row').allTextContents();
    expect(entities.join('\n')).not.toContain(otherId);
    await owner.page.close();

    const viewer = await openSignedIn(browser, platform.gatewayUrl, await keyOf('bo@lab.test', 'VIEWER', otherId), '/audit');
    await viewer.page.getByText('The audit log is for project owners; you own no project.').waitFor();
    expect(await viewer.page.getByRole('table').count()).toBe(0);
    await viewer.page.close();
  });
});
