/**
 * What a client reads when something behind the gateway fails: with the
 * artifacts or the metrics service stopped, a saga's Operation.error (and
 * result), the operation as queried later, the reconciliation refused and
 * every GraphQL error say which service failed in the platform's words, never
 * an address, a port or an internal route. And file names a saga would hand
 * to S3 later are refused up front, as requestUpload refuses them.
 */
import { createHash, randomUUID } from 'node:crypto';
import { HOSTILE_NAMES } from '@lab/shared/hostileFileNames';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, type GraphQLResponse, startTestPlatform, type TestPlatform } from './support/testPlatform';

interface Operation {
  id: string;
  status: string;
  step: string;
  attempts: number;
  error: string | null;
  result: Record<string, unknown>;
}

const OPERATION = 'id status step attempts error result';
const FROM_RUN = `mutation($m: ID!, $r: ID!, $f: [String!]) {
  createModelVersionFromRun(input: { modelId: $m, runId: $r, files: $f }) { ${OPERATION} }
}`;

describe('error texts carry no internal address or route', () => {
  let platform: TestPlatform;
  /** Every port the platform listens on (services and stores). */
  let ports: string[];
  let projectId: string;
  let experimentId: string;
  let runId: string;
  let modelId: string;

  /** Each text a client reads: nothing of 127.0.0.1, localhost, a URL, a port of the platform or an /internal/ route. */
  function expectPlatformWords(texts: (string | null | undefined)[]): void {
    for (const text of texts) {
      if (!text) continue;
      for (const leak of ['127.0.0.1', 'localhost', 'http://', 'https://', '/internal/']) expect(text).not.toContain(leak);
      for (const port of ports) expect(text).not.toMatch(new RegExp(`(^|[^0-9a-f])${port}([^0-9a-f]|$)`));
    }
  }

  /** Every error message of an answer. */
  const messages = (answer: GraphQLResponse<unknown>) => (answer.body.errors ?? []).map((e) => e.message);

  async function data<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const answer = await platform.gql<T>(query, variables);
    if (!answer.body.data || answer.body.errors) throw new Error(`${query.slice(0, 60)}: ${JSON.stringify(answer.body.errors)}`);
    return answer.body.data as T;
  }

  async function uploadOutput(name: string, bytes: Buffer): Promise<void> {
    const asked = await data<{ requestUpload: { uploadId: string; url: string; headers: { name: string; value: string }[] } }>(
      'mutation($i: RequestUploadInput!) { requestUpload(input: $i) { uploadId url headers { name value } } }',
      {
        i: {
          ownerKind: 'RUN',
          ownerId: runId,
          name,
          sizeBytes: bytes.length,
          checksum: `sha256:${createHash('sha256').update(bytes).digest('hex')}`,
        },
      },
    );
    const plan = asked.requestUpload;
    const put = await fetch(plan.url, {
      method: 'PUT',
      headers: Object.fromEntries(plan.headers.map((h) => [h.name, h.value])),
      body: new Uint8Array(bytes),
    });
    expect(put.status).toBe(200);
    await data('mutation($id: ID!) { completeUpload(uploadId: $id) { id } }', { id: plan.uploadId });
  }

  async function operationsOfModel(): Promise<Operation[]> {
    const found = await data<{ operations: { edges: { node: Operation }[] } }>(
      `query($e: ID!) { operations(filter: { entityId: $e }, first: 50) { edges { node { ${OPERATION} } } } }`,
      { e: modelId },
    );
    return found.operations.edges.map((e) => e.node);
  }

  beforeAll(async () => {
    platform = await startTestPlatform({
      env: { LAB_SAGA_WAIT_SECONDS: '3', LAB_RECONCILE_INTERVAL_MINUTES: '0' },
    });
    // The ports in the services' environment (their URLs and ports, the stores'), the gateway's and the stores'.
    const env = Object.entries(platform.serviceEnv)
      .filter(([name]) => /(_URL|_PORT|_ENDPOINT)$/.test(name))
      .map(([, value]) => String(value));
    ports = [
      ...new Set(
        [platform.gatewayUrl, ...env]
          .flatMap((text) => [...text.matchAll(/(?::|^)(\d{2,5})(?=\/|$)/g)].map((m) => Number(m[1])))
          .concat([platform.stores.s3?.port ?? 0, platform.stores.postgres?.port ?? 0])
          .filter((p) => p > 0),
      ),
    ].map(String);
    expect(ports.length).toBeGreaterThanOrEqual(6);
    ({ projectId, experimentId, runId } = await platform.newRun({
      project: `texts-${randomUUID().slice(0, 8)}`,
      experiment: 'sweep',
      run: 'lr-1e-3',
    }));
    await uploadOutput('model.bin', Buffer.from('weights'));
    const model = await data<{ registerModel: { id: string } }>(
      'mutation($p: ID!, $n: String!) { registerModel(input: { projectId: $p, name: $n }) { id } }',
      { p: projectId, n: 'texts-model' },
    );
    modelId = model.registerModel.id;
  }, 180_000);

  afterAll(async () => {
    await platform?.stop();
  });

  it('refuses every hostile file name of createModelVersionFromRun with BAD_USER_INPUT, starting no saga', async () => {
    // "dir/" names a folder of outputs here, so "trailing/" is a fair request; every other hostile name is refused.
    for (const name of HOSTILE_NAMES.filter((n) => n !== 'trailing/')) {
      const answer = await platform.gql(FROM_RUN, { m: modelId, r: runId, f: [name] });
      expect(answer.body.errors?.[0]?.extensions?.code, JSON.stringify(name)).toBe('BAD_USER_INPUT');
      expect(answer.body.errors?.[0]?.message).toMatch(/^files\[0\]: name .* is not allowed: /);
    }
    const prefix = await platform.gql(FROM_RUN, { m: modelId, r: runId, f: ['../'] });
    expect(prefix.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(await operationsOfModel()).toEqual([]);
  });

  it('a saga step against the stopped artifacts service: the operation says the artifacts service is unavailable, and nothing more', async () => {
    await platform.services.artifacts.stop();
    let operationId: string;
    try {
      const answer = await platform.gql<{ createModelVersionFromRun: Operation }>(FROM_RUN, {
        m: modelId,
        r: runId,
        f: ['model.bin'],
      });
      expect(answer.body.errors).toBeUndefined();
      const op = answer.body.data?.createModelVersionFromRun as Operation;
      operationId = op.id;
      expect(op).toMatchObject({ status: 'RUNNING', step: 'copyFiles' });
      expect(op.error).toBe('copyFiles: the artifacts service is unavailable');
      expectPlatformWords([op.error, JSON.stringify(op.result)]);

      // Retried meanwhile: the operation as read later says the same.
      const later = await eventually(async () => {
        const read = await platform.gql<{ operation: Operation }>(`query($id: ID!) { operation(id: $id) { ${OPERATION} } }`, {
          id: operationId,
        });
        expect(read.body.data?.operation.attempts).toBeGreaterThanOrEqual(2);
        return read;
      }, 20_000);
      expect(later.body.data?.operation.error).toBe('copyFiles: the artifacts service is unavailable');
      expectPlatformWords([later.body.data?.operation.error, ...messages(later)]);

      // The other ways a client meets the stopped service.
      const outputs = await platform.gql('query($r: ID!) { run(id: $r) { id outputs { totalCount } } }', { r: runId });
      expect(outputs.body.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
      const upload = await platform.gql('mutation($i: RequestUploadInput!) { requestUpload(input: $i) { uploadId } }', {
        i: { ownerKind: 'RUN', ownerId: runId, name: 'late.bin', sizeBytes: 1 },
      });
      expect(upload.body.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
      const reconcile = await platform.gql('mutation { reconcile { remaining } }');
      expect(reconcile.body.errors?.[0]).toMatchObject({
        message: 'the stores could not be compared: the artifacts service is unavailable',
        extensions: { code: 'SERVICE_UNAVAILABLE', service: 'artifacts' },
      });
      expectPlatformWords([...messages(outputs), ...messages(upload), ...messages(reconcile)]);
    } finally {
      await platform.services.artifacts.start();
    }
    const done = await eventually(async () => {
      const read = await data<{ operation: Operation }>(`query($id: ID!) { operation(id: $id) { ${OPERATION} } }`, {
        id: operationId,
      });
      expect(read.operation.status).toBe('SUCCEEDED');
      return read.operation;
    }, 90_000);
    expect(done.error).toBeNull();
  });

  it('a deletion against the stopped metrics service: the operation says the metrics service is unavailable', async () => {
    await platform.services.metrics.stop();
    try {
      const answer = await platform.gql<{ deleteExperiment: Operation }>(
        `mutation($id: ID!) { deleteExperiment(id: $id) { ${OPERATION} } }`,
        { id: experimentId },
      );
      expect(answer.body.errors).toBeUndefined();
      const op = answer.body.data?.deleteExperiment as Operation;
      expect(op).toMatchObject({
        status: 'RUNNING',
        step: 'deleteMetrics',
        error: 'deleteMetrics: the metrics service is unavailable',
      });
      expectPlatformWords([op.error, JSON.stringify(op.result)]);
      const metrics = await platform.gql('query($r: ID!) { compareRuns(runIds: [$r], name: "loss") { runId } }', {
        r: runId,
      });
      expect(metrics.body.errors?.length).toBeGreaterThan(0);
      expectPlatformWords(messages(metrics));
    } finally {
      await platform.services.metrics.start();
    }
  });
});
