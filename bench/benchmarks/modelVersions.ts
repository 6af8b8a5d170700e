/**
 * Model version creation through the gateway, where versions are numbered
 * under the model row's lock: every connection adding versions to ONE model
 * (the calls queue on the lock) beside every connection adding versions to
 * its own model (no queue), at the same concurrency for the same time. The
 * ratio is what the gapless numbering costs under contention. Afterwards the
 * contended model's versions are checked to be exactly 1..n.
 */

import { PrismaClient } from '@lab/registry/prisma';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { adminGql, type Benchmark, benchProject, closedLoop, figure } from '../harness';

const CREATE_VERSION = 'mutation($i: CreateModelVersionInput!) { createModelVersion(input: $i) { version } }';

export const modelVersions: Benchmark = {
  name: 'model-versions',
  description: 'createModelVersion through the gateway: all connections on one model (row lock) vs one model per connection',
  async run({ platform, durationSeconds, connections }) {
    const call = adminGql(platform);
    const { projectId } = await benchProject(platform, 'models');
    const register = async (name: string) =>
      (await call('mutation($i: RegisterModelInput!) { registerModel(input: $i) { id } }', { i: { projectId, name } }))
        .registerModel?.id as string;
    const shared = await register('contended');
    const own = await Promise.all(Array.from({ length: connections }, (_, i) => register(`own-${i}`)));

    const contended = await closedLoop(
      async () => {
        await call(CREATE_VERSION, { i: { modelId: shared } });
      },
      durationSeconds,
      connections,
    );
    const uncontended = await closedLoop(
      async (connection) => {
        await call(CREATE_VERSION, { i: { modelId: own[connection] } });
      },
      durationSeconds,
      connections,
    );

    // The contended model's versions must be exactly 1..latest.
    const url = platform.serviceEnv.DATABASE_URL;
    if (!url) throw new Error('the platform has no DATABASE_URL');
    const pool = new pg.Pool({ connectionString: url, max: 2 });
    const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
    try {
      const model = await prisma.model.findUniqueOrThrow({ where: { id: shared } });
      const stats = await prisma.modelVersion.aggregate({ where: { modelId: shared }, _count: true, _max: { version: true } });
      if (stats._count !== model.latestVersion || (stats._max.version ?? 0) !== model.latestVersion) {
        throw new Error(
          `versions are not gapless: ${stats._count} rows, max ${stats._max.version}, latest ${model.latestVersion}`,
        );
      }
    } finally {
      await prisma.$disconnect();
      await pool.end();
    }

    const baselineThroughput = { name: 'one model per connection', value: uncontended.requestsPerSecond };
    const baselineP99 = { name: 'one model per connection', value: uncontended.p99Ms };
    return [
      figure(
        `throughput, ${connections} connections on one model`,
        'req/s',
        contended.requestsPerSecond,
        baselineThroughput,
        'higher',
      ),
      figure(`p99 latency, ${connections} connections on one model`, 'ms', contended.p99Ms, baselineP99, 'lower'),
    ];
  },
};
