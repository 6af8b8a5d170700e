/**
 * Idempotent mutations through the gateway: the Idempotency-Key header travels
 * (signed) to the registry with the mutation; a retry with the same key and
 * input answers the first result, other input is a CONFLICT, and a malformed
 * key is refused before any work.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform } from './support/testPlatform';

let platform: TestPlatform;
let projectId: string;

const CREATE = 'mutation($i: CreateExperimentInput!) { createExperiment(input: $i) { id name project { id } } }';

function create(name: string, idempotencyKey?: string) {
  return platform.gql<{ createExperiment: { id: string; name: string } }>(
    CREATE,
    { i: { projectId, name } },
    idempotencyKey === undefined ? {} : { headers: { 'Idempotency-Key': idempotencyKey } },
  );
}

async function experimentsNamed(name: string): Promise<number> {
  const { body } = await platform.gql<{ experiments: { edges: { node: { name: string } }[] } }>(
    'query($p: ID!) { experiments(filter: { projectId: $p }, first: 100) { edges { node { name } } } }',
    { p: projectId },
  );
  expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
  return body.data?.experiments.edges.filter((e) => e.node.name === name).length ?? -1;
}

beforeAll(async () => {
  platform = await startTestPlatform();
  const { body } = await platform.gql<{ createProject: { id: string } }>(
    'mutation { createProject(input: { name: "e2e-idempotency" }) { id } }',
  );
  projectId = body.data?.createProject.id as string;
});
afterAll(async () => {
  await platform?.stop();
});

describe('idempotent mutations through the gateway', () => {
  it('createExperiment twice with the same key: the same experiment, made once', async () => {
    const first = await create('retried', 'e2e-create-1');
    expect(first.body.errors, JSON.stringify(first.body.errors)).toBeUndefined();
    const again = await create('retried', 'e2e-create-1');
    expect(again.status).toBe(200);
    expect(again.body.errors, JSON.stringify(again.body.errors)).toBeUndefined();
    expect(again.body.data?.createExperiment.id).toBe(first.body.data?.createExperiment.id);
    expect(await experimentsNamed('retried')).toBe(1);
  });

  it('the same key with other input is a CONFLICT naming the key', async () => {
    expect((await create('original', 'e2e-create-2')).body.errors).toBeUndefined();
    const other = await create('changed', 'e2e-create-2');
    expect(other.body.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    expect(other.body.errors?.[0]?.message).toContain('e2e-create-2');
    expect(await experimentsNamed('changed')).toBe(0);
  });

  it('a malformed key is refused (400) before any work', async () => {
    const answer = await create('never', 'not a key');
    expect(answer.status).toBe(400);
    expect(answer.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(await experimentsNamed('never')).toBe(0);
  });
});
