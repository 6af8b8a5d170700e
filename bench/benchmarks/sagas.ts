/**
 * What the sagas cost over doing the same store work by hand. A saga adds its
 * row, a claim, a recorded step after each step and the audit events; a client
 * doing it by hand would call the stores' owners one after another and keep
 * no state (and lose its place on a crash).
 *
 *   createModelVersionFromRun (copy two outputs, create the version) against
 *   the artifacts copy route called directly, then createModelVersion through
 *   the gateway: throughput at `connections` in flight.
 *
 *   deleteExperiment (mark deleted, metrics, files, rows) of experiments with
 *   one run, 2,000 points and two files, one after another, against the
 *   metrics and artifacts delete routes called directly, then the row deleted
 *   in PostgreSQL: mean time per experiment.
 */
import { createHash, randomUUID } from 'node:crypto';
import {
  ARTIFACTS_INTERNAL,
  callInternal,
  INTERNAL_API_SENDER,
  type InternalCallOptions,
  METRICS_INTERNAL,
} from '@lab/shared/internal';
import pg from 'pg';
import { type Benchmark, closedLoop, figure, gql } from '../harness';

const EXPERIMENTS_PER_SIDE = 8;
const POINTS_PER_RUN = 2000;

export const sagas: Benchmark = {
  name: 'sagas',
  description: 'createModelVersionFromRun and deleteExperiment (sagas) vs the same store calls made directly',
  async run({ platform, durationSeconds, connections }) {
    const key = platform.adminApiKey;
    const call = <T = Record<string, { id: string }>>(query: string, variables: Record<string, unknown> = {}) =>
      gql<T>(platform.graphqlUrl, key, query, variables);
    const internal: InternalCallOptions = {
      internalSecret: platform.serviceEnv.LAB_INTERNAL_SECRET ?? '',
      caller: { id: INTERNAL_API_SENDER, kind: 'service', scopes: ['*'] },
      requestId: 'bench-sagas',
    };
    const artifactsUrl = platform.services.artifacts.url ?? '';
    const metricsUrl = platform.services.metrics.url ?? '';

    const projectId = (
      await call('mutation($n: String!) { createProject(input: { name: $n }) { id } }', {
        n: `bench-sagas-${Date.now().toString(36)}`,
      })
    ).createProject?.id as string;

    async function upload(runId: string, name: string): Promise<void> {
      const bytes = Buffer.from(`${name} of ${runId} `.repeat(512));
      const asked = await call<{ requestUpload: { uploadId: string; url: string; headers: { name: string; value: string }[] } }>(
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
      if (!put.ok) throw new Error(`upload failed: HTTP ${put.status}`);
      await call('mutation($id: ID!) { completeUpload(uploadId: $id) { id } }', { id: plan.uploadId });
    }

    /** An experiment with one run, its points and two output files. */
    async function experiment(name: string): Promise<{ experimentId: string; runId: string }> {
      const experimentId = (
        await call('mutation($p: ID!, $n: String!) { createExperiment(input: { projectId: $p, name: $n }) { id } }', {
          p: projectId,
          n: name,
        })
      ).createExperiment?.id as string;
      const runId = (
        await call('mutation($e: ID!) { startRun(input: { experimentId: $e, name: "r" }) { id } }', { e: experimentId })
      ).startRun?.id as string;
      await call('mutation($r: ID!, $p: [MetricPointInput!]!) { logMetrics(runId: $r, points: $p) { accepted } }', {
        r: runId,
        p: Array.from({ length: POINTS_PER_RUN }, (_, step) => ({ name: 'loss', value: 1 / (step + 1), step })),
      });
      await upload(runId, 'model.bin');
      await upload(runId, 'eval/report.json');
      return { experimentId, runId };
    }

    // Model versions from a run's outputs.
    const source = await experiment('source');
    const modelId = (
      await call('mutation($p: ID!) { registerModel(input: { projectId: $p, name: "bench" }) { id } }', { p: projectId })
    ).registerModel?.id as string;
    const bySaga = await closedLoop(
      async () => {
        const made = await call<{ createModelVersionFromRun: { status: string } }>(
          'mutation($m: ID!, $r: ID!) { createModelVersionFromRun(input: { modelId: $m, runId: $r }) { status } }',
          { m: modelId, r: source.runId },
        );
        if (made.createModelVersionFromRun.status !== 'SUCCEEDED') throw new Error(made.createModelVersionFromRun.status);
      },
      durationSeconds,
      connections,
    );
    const byHand = await closedLoop(
      async () => {
        await callInternal(
          artifactsUrl,
          ARTIFACTS_INTERNAL.copy,
          {
            from: { kind: 'RUN', id: source.runId, parentId: source.experimentId },
            to: { kind: 'MODEL_VERSION', id: randomUUID(), parentId: modelId },
          },
          internal,
        );
        await call('mutation($i: CreateModelVersionInput!) { createModelVersion(input: $i) { id } }', {
          i: { modelId, sourceRunId: source.runId },
        });
      },
      durationSeconds,
      connections,
    );

    // Experiment deletion.
    const doomed: { experimentId: string; runId: string }[] = [];
    for (let i = 0; i < 2 * EXPERIMENTS_PER_SIDE; i++) doomed.push(await experiment(`doomed-${i}`));
    const db = new pg.Client({ connectionString: platform.serviceEnv.DATABASE_URL });
    await db.connect();
    const meanMs = async (items: typeof doomed, work: (e: (typeof doomed)[number]) => Promise<void>) => {
      const started = performance.now();
      for (const item of items) await work(item);
      return (performance.now() - started) / items.length;
    };
    let deleteBySaga: number;
    let deleteByHand: number;
    try {
      deleteBySaga = await meanMs(doomed.slice(0, EXPERIMENTS_PER_SIDE), async ({ experimentId }) => {
        const op = await call<{ deleteExperiment: { status: string } }>(
          'mutation($id: ID!) { deleteExperiment(id: $id) { status } }',
          {
            id: experimentId,
          },
        );
        if (op.deleteExperiment.status !== 'SUCCEEDED') throw new Error(`deletion ${op.deleteExperiment.status}`);
      });
      deleteByHand = await meanMs(doomed.slice(EXPERIMENTS_PER_SIDE), async ({ experimentId }) => {
        await callInternal(metricsUrl, METRICS_INTERNAL.delete, { experimentId }, internal);
        await callInternal(
          artifactsUrl,
          ARTIFACTS_INTERNAL.delete,
          { scope: { kind: 'EXPERIMENT', id: experimentId } },
          internal,
        );
        await db.query('DELETE FROM experiments WHERE id = $1', [experimentId]);
      });
    } finally {
      await db.end();
    }

    const byHandName = 'the same store calls made directly';
    return [
      figure(
        `createModelVersionFromRun throughput, ${connections} in flight`,
        'ops/s',
        bySaga.requestsPerSecond,
        { name: byHandName, value: byHand.requestsPerSecond },
        'higher',
      ),
      figure(
        `createModelVersionFromRun p50 latency, ${connections} in flight`,
        'ms',
        bySaga.p50Ms,
        { name: byHandName, value: byHand.p50Ms },
        'lower',
      ),
      figure(
        `deleteExperiment (1 run, ${POINTS_PER_RUN} points, 2 files), one at a time`,
        'ms',
        deleteBySaga,
        { name: byHandName, value: deleteByHand },
        'lower',
      ),
    ];
  },
};
