/**
 * The nested list a dashboard asks for: 100 experiments with their owners
 * and 10 runs each (with creators and counts), through the gateway — beside
 * the same rows read with one Prisma findMany (with include) in this process,
 * at the same concurrency for the same time. The ratio is what GraphQL,
 * federation, HTTP and access checks cost over a bare ORM call.
 */

// The registry's generated client (bench reads the same database directly for its baseline).
import { PrismaClient } from '@lab/registry/prisma';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { type Benchmark, closedLoop, figure, latencyFigures, load } from '../harness';

const EXPERIMENTS = 100;
const RUNS_EACH = 10;
const OWNERS = 10;

const QUERY = `query($projectId: ID!) {
  experiments(first: ${EXPERIMENTS}, filter: { projectId: $projectId }) {
    edges { node {
      id name status createdAt
      owner { name }
      runs(first: ${RUNS_EACH}) { totalCount edges { node { id name status startTime createdBy { name } } } }
    } }
  }
}`;

async function seed(prisma: PrismaClient): Promise<string> {
  const suffix = Date.now().toString(36);
  const owners = await prisma.user.createManyAndReturn({
    data: Array.from({ length: OWNERS }, (_, i) => ({ email: `bench-${suffix}-${i}@lab.test`, name: `Bench owner ${i}` })),
    select: { id: true },
  });
  const ownerId = (i: number) => owners[i % owners.length]?.id as string;
  const project = await prisma.project.create({ data: { name: `bench-federated-${suffix}`, createdById: ownerId(0) } });
  const experiments = await prisma.experiment.createManyAndReturn({
    data: Array.from({ length: EXPERIMENTS }, (_, i) => ({
      projectId: project.id,
      name: `experiment-${i}`,
      ownerId: ownerId(i),
      config: { model: 'llama', lr: 0.001 * (i + 1) },
      tags: { team: i % 2 ? 'nlp' : 'vision' },
    })),
    select: { id: true },
  });
  await prisma.run.createMany({
    data: experiments.flatMap((e, i) =>
      Array.from({ length: RUNS_EACH }, (_, j) => ({
        experimentId: e.id,
        name: `run-${i}-${j}`,
        params: { seed: String(j) },
        createdById: ownerId(i + j),
      })),
    ),
  });
  return project.id;
}

export const federatedList: Benchmark = {
  name: 'federated-list',
  description: `${EXPERIMENTS} experiments × ${RUNS_EACH} runs with owners and creators through the gateway vs one Prisma findMany with include`,
  async run({ platform, durationSeconds, connections }) {
    const url = platform.serviceEnv.DATABASE_URL;
    if (!url) throw new Error('the platform has no DATABASE_URL');
    // The registry's own pool size, so neither side gets more connections.
    const pool = new pg.Pool({ connectionString: url, max: 10 });
    const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
    try {
      const projectId = await seed(prisma);
      const body = JSON.stringify({ query: QUERY, variables: { projectId } });
      const headers = { 'content-type': 'application/json', authorization: `Bearer ${platform.adminApiKey}` };

      // Check the answer once before measuring.
      const res = await fetch(platform.graphqlUrl, { method: 'POST', headers, body });
      const answer = (await res.json()) as {
        data?: { experiments: { edges: { node: { runs: { edges: unknown[] } } }[] } };
        errors?: unknown;
      };
      const edges = answer.data?.experiments.edges ?? [];
      if (answer.errors || edges.length !== EXPERIMENTS || edges.some((e) => e.node.runs.edges.length !== RUNS_EACH)) {
        throw new Error(`unexpected answer: ${JSON.stringify(answer).slice(0, 500)}`);
      }

      const direct = () =>
        prisma.experiment
          .findMany({
            where: { projectId },
            orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
            take: EXPERIMENTS,
            include: {
              owner: { select: { name: true } },
              runs: {
                orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
                take: RUNS_EACH,
                include: { createdBy: { select: { name: true } } },
              },
              _count: { select: { runs: true } },
            },
          })
          .then((rows) => JSON.stringify(rows));
      const viaGateway = (seconds: number) =>
        load({ url: platform.graphqlUrl, headers, body, durationSeconds: seconds, connections });

      await closedLoop(direct, 1, connections);
      await viaGateway(1);
      const baseline = await closedLoop(direct, durationSeconds, connections);
      const measured = await viaGateway(durationSeconds);
      for (const [name, r] of [
        ['prisma', baseline],
        ['gateway', measured],
      ] as const) {
        if (r.errors > 0 || r.non2xx > 0) throw new Error(`${name}: ${r.errors} errors, ${r.non2xx} non-2xx answers`);
      }
      const name = 'one Prisma findMany with include, in process';
      const base = (v: number) => ({ name, value: v });
      return [
        figure(
          'throughput, nested list via gateway',
          'req/s',
          measured.requestsPerSecond,
          base(baseline.requestsPerSecond),
          'higher',
        ),
        ...latencyFigures('latency, nested list via gateway', measured, { ...baseline, name }),
      ];
    } finally {
      await prisma.$disconnect().catch(() => {});
      await pool.end().catch(() => {});
    }
  },
};
