/**
 * Experiments and runs through the gateway: the lifecycle, the nested list
 * with owners, runs and creators, the search language, project roles for
 * users holding registry API keys, runs filtered and ordered by their metrics
 * (registry and metrics joined, stable pages), and a run deleted across the
 * three stores.
 */
import { createHash } from 'node:crypto';
import { type Client, createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { probeStores } from './support/storeProbe';
import { eventually, startTestPlatform, TEST_ADMIN_KEY, type TestPlatform } from './support/testPlatform';

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
const START = 'mutation($i: StartRunInput!) { startRun(input: $i) { id } }';
const LOG = 'mutation($r: ID!, $p: [MetricPointInput!]!) { logMetrics(runId: $r, points: $p) { accepted } }';
const RANKED = `query($e: ID!, $search: String, $order: RunOrder, $first: Int, $after: String) {
  runs(filter: { experimentId: $e }, search: $search, orderBy: $order, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { node { name source { commit } } }
  }
}`;

interface RankedPage {
  runs: {
    totalCount: number;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
    edges: { node: { name: string; source: { commit: string } | null } }[];
  };
}

/** A run with val_loss points (none when `losses` is empty), through the gateway. */
async function loggedRun(experimentId: string, name: string, params: Record<string, string>, losses: number[]) {
  const run = await data<{ startRun: { id: string } }>(START, {
    i: { experimentId, name, params, source: { commit: 'a1b2c3d4', branch: 'main', dirty: false, entryPoint: 'train.py' } },
  });
  if (losses.length > 0) {
    await data(LOG, { r: run.startRun.id, p: losses.map((value, step) => ({ name: 'val_loss', value, step })) });
  }
  return { id: run.startRun.id, name, min: losses.length > 0 ? Math.min(...losses) : null };
}

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

  it('filters and orders runs by their metrics, with stable pages while runs arrive', async () => {
    const ranked = (await data<{ createExperiment: { id: string } }>(CREATE, { i: { projectId, name: 'ranked' } }))
      .createExperiment.id;
    const runs = [];
    for (let i = 0; i < 9; i++) {
      const optimizer = i % 3 === 0 ? 'sgd' : 'adam';
      // two adam runs share their minimum: their order is by id
      const losses = i === 8 ? [] : [3 - i / 10, 1 + ((i * 7) % 5) / 10 - (i === 4 ? 0.1 : 0), 2];
      runs.push({ ...(await loggedRun(ranked, `r${i}`, { optimizer }, losses)), optimizer });
    }
    const expected = runs
      .filter((r) => r.optimizer === 'adam' && r.min !== null)
      .sort((a, b) => (a.min === b.min ? a.id.localeCompare(b.id) : (a.min as number) - (b.min as number)));
    const variables = {
      e: ranked,
      search: "params.optimizer = 'adam' AND min(metrics.val_loss) < 5",
      order: { metric: { name: 'val_loss', aggregate: 'MIN' }, direction: 'ASC' },
      first: 2,
    };
    const first = await data<RankedPage>(RANKED, variables, viewer.key);
    expect(first.runs.totalCount).toBe(expected.length);
    expect(first.runs.edges.map((e) => e.node)).toEqual(
      expected.slice(0, 2).map((r) => ({ name: r.name, source: { commit: 'a1b2c3d4' } })),
    );
    // a run arriving with the best loss sorts before the cursor: later pages neither show it nor repeat a run
    await loggedRun(ranked, 'late-best', { optimizer: 'adam' }, [0.01]);
    const names = first.runs.edges.map((e) => e.node.name);
    let after = first.runs.pageInfo.endCursor;
    for (let page = 0; page < 10 && after; page++) {
      const next = await data<RankedPage>(RANKED, { ...variables, after }, viewer.key);
      names.push(...next.runs.edges.map((e) => e.node.name));
      after = next.runs.pageInfo.hasNextPage ? next.runs.pageInfo.endCursor : null;
    }
    expect(names).toEqual(expected.map((r) => r.name));
    const fresh = await data<RankedPage>(RANKED, variables, viewer.key);
    expect(fresh.runs.edges[0]?.node.name).toBe('late-best');
    expect(fresh.runs.totalCount).toBe(expected.length + 1);

    // by the last value, descending: the run without val_loss comes last
    const all = await data<RankedPage>(RANKED, { e: ranked, order: { metric: { name: 'val_loss' } }, first: 100 }, viewer.key);
    expect(all.runs.edges.at(-1)?.node.name).toBe('r8');
    // nested, with a bad metric name refused naming the column
    const { body } = await platform.gql(
      'query($e: ID!) { experiment(id: $e) { runs(search: "metrics.val_loss < \'x\'") { totalCount } } }',
      { e: ranked },
      { key: viewer.key },
    );
    expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', filter: { position: 20 } });
  });

  it('deletes a run across the three stores: row, points and files; a stream on it ends with NOT_FOUND', async () => {
    const probe = await probeStores(platform);
    const client: Client = createClient({
      url: platform.graphqlUrl.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { Authorization: `Bearer ${TEST_ADMIN_KEY}` },
      retryAttempts: 0,
    });
    try {
      const run = await loggedRun(experimentId, 'to-delete', { lr: '0.5' }, [1, 0.5, 0.25]);
      const kept = await loggedRun(experimentId, 'kept', { lr: '0.5' }, [1]);
      const bytes = Buffer.from('checkpoint');
      const asked = await data<{ requestUpload: { uploadId: string; url: string; headers: { name: string; value: string }[] } }>(
        'mutation($i: RequestUploadInput!) { requestUpload(input: $i) { uploadId url headers { name value } } }',
        {
          i: {
            ownerKind: 'RUN',
            ownerId: run.id,
            name: 'model.bin',
            sizeBytes: bytes.length,
            checksum: `sha256:${createHash('sha256').update(bytes).digest('hex')}`,
          },
        },
      );
      const put = await fetch(asked.requestUpload.url, {
        method: 'PUT',
        headers: Object.fromEntries(asked.requestUpload.headers.map((h) => [h.name, h.value])),
        body: new Uint8Array(bytes),
      });
      expect(put.status).toBe(200);
      await data('mutation($id: ID!) { completeUpload(uploadId: $id) { id } }', { id: asked.requestUpload.uploadId });
      const prefix = `experiments/${experimentId}/runs/${run.id}/`;
      expect(await probe.keys(prefix)).toHaveLength(1);
      expect((await probe.metricRuns()).has(run.id)).toBe(true);

      type Event = { data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> }[] };
      const received: Event[] = [];
      let completed = false;
      const events = client.iterate({
        query: 'subscription($r: ID!) { metricStream(runId: $r, names: ["val_loss"]) { step value } }',
        variables: { r: run.id },
      }) as AsyncIterableIterator<Event>;
      const reader = (async () => {
        for await (const event of events) received.push(event);
        completed = true;
      })();
      let step = 10;
      await eventually(async () => {
        await data(LOG, { r: run.id, p: [{ name: 'val_loss', value: 0.1, step: step++ }] });
        await new Promise((r) => setTimeout(r, 300));
        expect(received.some((e) => e.data)).toBe(true);
      });

      const deleted = await data<{ deleteRun: { id: string; status: string; result: Record<string, number> } }>(
        'mutation($id: ID!) { deleteRun(id: $id) { id status result } }',
        { id: run.id },
      );
      expect(deleted.deleteRun.status).toBe('SUCCEEDED');
      expect(deleted.deleteRun.result).toMatchObject({ deletedPoints: step - 10 + 3, deletedFiles: 1 });
      await eventually(async () => expect(completed).toBe(true), 5_000, 50);
      await reader;
      expect(received.at(-1)?.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', service: 'metrics' });

      expect(await probe.rows('SELECT id FROM runs WHERE id = $1', [run.id])).toEqual([]);
      expect((await probe.metricRuns()).has(run.id)).toBe(false);
      expect((await probe.metricRuns()).has(kept.id)).toBe(true);
      expect(await probe.keys(prefix)).toEqual([]);
      expect(await errorCode('query($id: ID!) { run(id: $id) { id } }', { id: run.id }, viewer.key)).toBe('NOT_FOUND');
      const again = await data<{ deleteRun: { id: string } }>('mutation($id: ID!) { deleteRun(id: $id) { id } }', { id: run.id });
      expect(again.deleteRun.id).toBe(deleted.deleteRun.id);
      expect((await probe.findings()).filter((f) => f.entityId === run.id)).toEqual([]);
    } finally {
      await client.dispose();
      await probe.close();
    }
  });
});
