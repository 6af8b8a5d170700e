/**
 * Models, datasets and prompts through the gateway: a dataset version read by
 * a run that produced a model version, aliases, gapless versions under
 * concurrent calls, prompt rendering, and the lineage read both ways.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform } from './support/testPlatform';

let platform: TestPlatform;

async function data<T>(query: string, variables?: Record<string, unknown>): Promise<T> {
  const { status, body } = await platform.gql<T>(query, variables);
  expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
  expect(status).toBe(200);
  return body.data as T;
}

describe('catalog through the gateway', () => {
  let projectId: string;

  beforeAll(async () => {
    platform = await startTestPlatform();
    const project = await data<{ createProject: { id: string } }>(
      'mutation($i: CreateProjectInput!) { createProject(input: $i) { id } }',
      { i: { name: 'e2e-catalog' } },
    );
    projectId = project.createProject.id;
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
  });

  it('records lineage from a dataset version through a run to a model version', async () => {
    const dataset = await data<{ createDataset: { id: string } }>(
      'mutation($i: CreateDatasetInput!) { createDataset(input: $i) { id } }',
      { i: { projectId, name: 'wiki' } },
    );
    const version = await data<{ createDatasetVersion: { id: string; status: string } }>(
      'mutation($i: CreateDatasetVersionInput!) { createDatasetVersion(input: $i) { id status } }',
      { i: { datasetId: dataset.createDataset.id, label: 'v1', format: 'parquet' } },
    );
    expect(version.createDatasetVersion.status).toBe('PENDING');
    await data('mutation($id: ID!) { updateDatasetVersionStatus(id: $id, status: READY, rowCount: 10) { status } }', {
      id: version.createDatasetVersion.id,
    });
    const experiment = await data<{ createExperiment: { id: string } }>(
      'mutation($i: CreateExperimentInput!) { createExperiment(input: $i) { id } }',
      { i: { projectId, name: 'pretrain' } },
    );
    const run = await data<{ startRun: { id: string } }>('mutation($i: StartRunInput!) { startRun(input: $i) { id } }', {
      i: { experimentId: experiment.createExperiment.id, name: 'run-1', inputs: [version.createDatasetVersion.id] },
    });
    const model = await data<{ registerModel: { id: string } }>(
      'mutation($i: RegisterModelInput!) { registerModel(input: $i) { id } }',
      { i: { projectId, name: 'tiny-lm' } },
    );
    await data('mutation($i: CreateModelVersionInput!) { createModelVersion(input: $i) { version } }', {
      i: { modelId: model.registerModel.id, sourceRunId: run.startRun.id },
    });
    await data('mutation($m: ID!) { setModelAlias(modelId: $m, alias: "production", version: 1) { alias } }', {
      m: model.registerModel.id,
    });

    const lineage = await data<{ run: unknown; datasetVersion: unknown }>(
      `query($run: ID!, $dv: ID!) {
        run(id: $run) {
          inputs { label status dataset { name } }
          producedModelVersions { version aliases model { name project { id } } }
        }
        datasetVersion(id: $dv) { readByRuns { name } }
      }`,
      { run: run.startRun.id, dv: version.createDatasetVersion.id },
    );
    expect(lineage).toEqual({
      run: {
        inputs: [{ label: 'v1', status: 'READY', dataset: { name: 'wiki' } }],
        producedModelVersions: [{ version: 1, aliases: ['production'], model: { name: 'tiny-lm', project: { id: projectId } } }],
      },
      datasetVersion: { readByRuns: [{ name: 'run-1' }] },
    });
  });

  it('numbers 20 concurrent model versions 1..20 through the gateway', async () => {
    const model = await data<{ registerModel: { id: string } }>(
      'mutation($i: RegisterModelInput!) { registerModel(input: $i) { id } }',
      { i: { projectId, name: 'busy' } },
    );
    const created = await Promise.all(
      Array.from({ length: 20 }, () =>
        data<{ createModelVersion: { version: number } }>(
          'mutation($i: CreateModelVersionInput!) { createModelVersion(input: $i) { version } }',
          { i: { modelId: model.registerModel.id } },
        ),
      ),
    );
    expect(created.map((c) => c.createModelVersion.version).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
  });

  it('renders a prompt version by alias and names missing variables', async () => {
    const template = await data<{ createPromptTemplate: { id: string } }>(
      'mutation($i: CreatePromptTemplateInput!) { createPromptTemplate(input: $i) { id } }',
      { i: { projectId, name: 'greet' } },
    );
    const templateId = template.createPromptTemplate.id;
    await data('mutation($i: CreatePromptVersionInput!) { createPromptVersion(input: $i) { version } }', {
      i: { templateId, template: 'Hello {{ name }} from {{place}}' },
    });
    await data('mutation($t: ID!) { setPromptAlias(templateId: $t, alias: "prod", version: 1) { alias } }', { t: templateId });
    const rendered = await data<{ renderPrompt: unknown }>(
      'query($t: ID!) { renderPrompt(templateId: $t, alias: "prod", values: { name: "Ada", place: "Lab", x: 1 }) { text unusedValues } }',
      { t: templateId },
    );
    expect(rendered.renderPrompt).toEqual({ text: 'Hello Ada from Lab', unusedValues: ['x'] });
    const { body } = await platform.gql('query($t: ID!) { renderPrompt(templateId: $t, values: { name: "Ada" }) { text } }', {
      t: templateId,
    });
    expect(body.errors?.[0]).toMatchObject({
      message: 'values is missing the variables: place',
      extensions: { code: 'BAD_USER_INPUT' },
    });
  });
});
