/**
 * Experiments and runs through the gateway: the lifecycle, the nested list
 * with owners, runs and creators, the search language, and project roles for
 * users holding registry API keys.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform } from './support/testPlatform';

let platform: TestPlatform;

async function data<T>(query: string, variables?: Record<string, unknown>, key?: string): Promise<T> {
  const { status, body } = await platform.gql<T>(query, variables, key ? { key } : {});
  expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
  expect(status).toBe(200);
  return body.data as T;
}

async function errorCode(query: string, variables: Record<string, unknown>, key: string): Promise<unknown> {
  const { body } = await platform.gql(query, variables, { key });
  return body.errors?.[0]?.extensions?.code;
}

async function userWithKey(email: string): Promise<{ id: string; key: string }> {
  const user = await data<{ createUser: { id: string } }>('mutation($i: CreateUserInput!) { createUser(input: $i) { id } }', {
    i: { email, name: email.split('@')[0] },
  });
  const key = await data<{ createApiKey: { secret: string } }>(
    'mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { secret } }',
    { i: { name: 'e2e', userId: user.createUser.id } },
  );
  return { id: user.createUser.id, key: key.createApiKey.secret };
}

const CREATE = 'mutation($i: CreateExperimentInput!) { createExperiment(input: $i) { id status } }';

describe('experiments and runs through the gateway', () => {
  let projectId: string;
  let experimentId: string;
  let viewer: { id: string; key: string };
  let stranger: { id: string; key: string };

  beforeAll(async () => {
    platform = await startTestPlatform();
    projectId = (await data<{ createProject: { id: string } }>('mutation { createProject(input: { name: "e2e-exp" }) { id } }'))
      .createProject.id;
    viewer = await userWithKey('viv@lab.test');
    stranger = await userWithKey('sam@lab.test');
    await data('mutation($p: ID!, $u: ID!) { addProjectMember(projectId: $p, userId: $u, role: VIEWER) { role } }', {
      p: projectId,
      u: viewer.id,
    });
    experimentId = (
      await data<{ createExperiment: { id: string } }>(CREATE, { i: { projectId, name: 'sweep', tags: { team: 'nlp' } } })
    ).createExperiment.id;
    await data('mutation($id: ID!) { updateExperiment(id: $id, input: { status: RUNNING }) { status } }', { id: experimentId });
    for (const [i, lr] of ['0.1', '0.01', '0.001'].entries()) {
      const run = await data<{ startRun: { id: string } }>('mutation($i: StartRunInput!) { startRun(input: $i) { id } }', {
        i: { experimentId, name: `lr-${lr}`, params: { lr }, startTime: `2026-11-0${i + 1}T00:00:00.000Z` },
      });
      if (i < 2) {
        await data('mutation($id: ID!, $t: DateTime) { finishRun(id: $id, endTime: $t) { status } }', {
          id: run.startRun.id,
          t: `2026-11-0${i + 1}T00:10:00.000Z`,
        });
      }
    }
  }, 180_000);

  afterAll(async () => {
    await platform?.stop();
  });

  it('lists experiments with project, owner, runs and creators, and searches runs', async () => {
    const list = await data<{ experiments: unknown }>(
      `query($p: ID!) { experiments(filter: { projectId: $p, tags: { team: "nlp" } }) {
        totalCount
        edges { node {
          name status project { name } owner { isAdmin } runCount
          runs(first: 2, orderBy: { field: START_TIME, direction: ASC }) {
            totalCount pageInfo { hasNextPage }
            edges { node { name status duration createdBy { isAdmin } experiment { name } } }
          }
        } }
      } }`,
      { p: projectId },
      viewer.key,
    );
    expect(list.experiments).toEqual({
      totalCount: 1,
      edges: [
        {
          node: {
            name: 'sweep',
            status: 'RUNNING',
            project: { name: 'e2e-exp' },
            owner: { isAdmin: true },
            runCount: 3,
            runs: {
              totalCount: 3,
              pageInfo: { hasNextPage: true },
              edges: [
                {
                  node: {
                    name: 'lr-0.1',
                    status: 'COMPLETED',
                    duration: 600,
                    createdBy: { isAdmin: true },
                    experiment: { name: 'sweep' },
                  },
                },
                {
                  node: {
                    name: 'lr-0.01',
                    status: 'COMPLETED',
                    duration: 600,
                    createdBy: { isAdmin: true },
                    experiment: { name: 'sweep' },
                  },
                },
              ],
            },
          },
        },
      ],
    });
    const searched = await data<{ runs: { edges: { node: { name: string } }[] } }>(
      `query($p: ID!) { runs(filter: { projectId: $p }, search: "params.lr < 0.05 AND status = 'RUNNING'") { edges { node { name } } } }`,
      { p: projectId },
      viewer.key,
    );
    expect(searched.runs.edges).toEqual([{ node: { name: 'lr-0.001' } }]);
    const { body } = await platform.gql('{ runs(search: "params.lr >") { totalCount } }', {}, { key: viewer.key });
    expect(body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(body.errors?.[0]?.message).toMatch(/column 12/);
  });

  it('enforces project roles for API-key users', async () => {
    expect(await errorCode(CREATE, { i: { projectId, name: 'by-viewer' } }, viewer.key)).toBe('FORBIDDEN');
    expect(await errorCode(CREATE, { i: { projectId, name: 'by-stranger' } }, stranger.key)).toBe('NOT_FOUND');
    expect(await errorCode('query($id: ID!) { experiment(id: $id) { id } }', { id: experimentId }, stranger.key)).toBe(
      'NOT_FOUND',
    );
    const none = await data<{ experiments: { totalCount: number } }>('{ experiments { totalCount } }', {}, stranger.key);
    expect(none.experiments.totalCount).toBe(0);
  });

  it('refuses an illegal status step with CONFLICT', async () => {
    const { body } = await platform.gql('mutation($id: ID!) { updateExperiment(id: $id, input: { status: DRAFT }) { status } }', {
      id: experimentId,
    });
    expect(body.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    expect(body.errors?.[0]?.message).toBe(
      'An experiment cannot go from RUNNING to DRAFT; from RUNNING it may go to COMPLETED or FAILED or ARCHIVED',
    );
  });
});
