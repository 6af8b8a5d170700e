/**
 * Runs ranked by a metric across the stores: in an experiment of
 * BENCH_RANK_RUNS runs (default 10,000), each with 5 metrics of
 * BENCH_RANK_STEPS steps (default 100), the first 50 runs ordered by
 * min(val_loss) among those with params.optimizer = 'adam' (half of them),
 * with their names and the total, through the gateway, beside the two raw
 * queries a user would write by hand for the same answer in the same run: the
 * runs (id, name) from PostgreSQL, then the ordered page from ClickHouse with
 * their ids. Both answers are checked to be equal.
 *
 * Loading: the runs with one Prisma createMany per 5,000; the points inside
 * ClickHouse (INSERT ... SELECT over the run ids and numbers()), then the
 * table merged (OPTIMIZE ... FINAL) so both sides read settled parts. With the
 * embedded chdb (one engine per process, held by the metrics subgraph) the
 * bench stops the metrics subgraph, opens its data folder here, loads the
 * points and times the raw pair, then starts the subgraph again for the
 * gateway side (each round); with CLICKHOUSE_URL the server is used as it is.
 *
 * Figures: p50 of each side's sequential requests, in BENCH_RANK_ROUNDS
 * (default 3) rounds of BENCH_RANK_REPS (default 10) raw pairs then as many
 * gateway requests (each phase after 3 warm-up calls), so a change in machine load falls
 * on both sides. Goal: the gateway at most 2 times the raw pair.
 */

import { type ClickHouseClient, createClickHouse } from '@lab/metrics';
import { PrismaClient } from '@lab/registry/prisma';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { type Benchmark, figure, gql, percentile } from '../harness';

const PAGE = 50;
const METRICS = ['val_loss', 'train_loss', 'accuracy', 'learning_rate', 'grad_norm'];
const WARM_UP = 3;

const QUERY = `query($e: ID!) {
  runs(filter: { experimentId: $e }, search: "params.optimizer = 'adam'",
       orderBy: { metric: { name: "val_loss", aggregate: MIN }, direction: ASC }, first: ${PAGE}) {
    totalCount edges { node { id name } }
  }
}`;

/** Each call's time in ms, after WARM_UP calls (a just-started engine reads its caches in first). */
async function timed(reps: number, f: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < WARM_UP; i++) await f();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const started = performance.now();
    await f();
    times.push(performance.now() - started);
  }
  return times;
}

function p50(times: number[]): number {
  return percentile(
    [...times].sort((a, b) => a - b),
    0.5,
  );
}

export const runsByMetrics: Benchmark = {
  name: 'runs-by-metrics',
  description: `first ${PAGE} runs by min(val_loss) with a params condition through the gateway vs the raw PostgreSQL + ClickHouse queries`,
  async run({ platform }) {
    const runCount = Number(process.env.BENCH_RANK_RUNS ?? 10_000);
    const steps = Number(process.env.BENCH_RANK_STEPS ?? 100);
    const reps = Number(process.env.BENCH_RANK_REPS ?? 10);
    const rounds = Number(process.env.BENCH_RANK_ROUNDS ?? 3);
    const databaseUrl = platform.serviceEnv.DATABASE_URL;
    if (!databaseUrl) throw new Error('the platform has no DATABASE_URL');
    const key = platform.adminApiKey;
    const call = <T>(query: string, variables: Record<string, unknown> = {}) =>
      gql<T>(platform.graphqlUrl, key, query, variables);

    const suffix = Date.now().toString(36);
    const me = (await call<{ me: { id: string } }>('{ me { id } }')).me.id;
    const projectId = (
      await call<{ createProject: { id: string } }>('mutation($n: String!) { createProject(input: { name: $n }) { id } }', {
        n: `bench-rank-${suffix}`,
      })
    ).createProject.id;
    const experimentId = (
      await call<{ createExperiment: { id: string } }>(
        'mutation($p: ID!) { createExperiment(input: { projectId: $p, name: "sweep" }) { id } }',
        { p: projectId },
      )
    ).createExperiment.id;

    const pool = new pg.Pool({ connectionString: databaseUrl, max: 4 });
    const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
    const { clickhouse } = platform.config;
    const table = `\`${clickhouse.database}\`.experiment_metrics`;
    const embedded = !clickhouse.url;
    const metrics = platform.services.metrics;
    const rawTimes: number[] = [];
    const gatewayTimes: number[] = [];
    let loadSeconds = 0;
    try {
      const loadStarted = performance.now();
      for (let from = 0; from < runCount; from += 5000) {
        await prisma.run.createMany({
          data: Array.from({ length: Math.min(5000, runCount - from) }, (_, j) => {
            const i = from + j;
            return {
              experimentId,
              name: `run-${i}`,
              params: { optimizer: i % 2 ? 'adam' : 'sgd', lr: String(1e-4 * (1 + (i % 10))) },
              config: { model: { layers: 12 + (i % 4) * 12 } },
              createdById: me,
            };
          }),
        });
      }
      const runIds = (
        await pool.query<{ id: string }>('SELECT id FROM runs WHERE experiment_id = $1 ORDER BY name', [experimentId])
      ).rows.map((r) => r.id);

      // The two queries a user would write by hand for the same answer: the runs (id, name) passing the
      // params condition, then the page of them by min(val_loss) (the total is the first query's count).
      const raw = async (client: ClickHouseClient) => {
        const runs = (
          await pool.query<{ id: string; name: string }>(
            "SELECT id, name FROM runs WHERE experiment_id = $1 AND params->>'optimizer' = 'adam'",
            [experimentId],
          )
        ).rows;
        const names = new Map(runs.map((r) => [r.id, r.name]));
        const result = await client.query({
          query: `SELECT toString(run_id) AS id, min(metric_value) AS best FROM ${table}
WHERE run_id IN {ids:Array(UUID)} AND metric_name = 'val_loss'
GROUP BY run_id ORDER BY best ASC LIMIT ${PAGE}`,
          query_params: { ids: runs.map((r) => r.id) },
          format: 'JSONEachRow',
          use_multipart_params_auto: true,
        });
        const page = (await result.json<{ id: string }>()).map((r: { id: string }) => r.id);
        return { total: runs.length, page: page.map((id) => ({ id, name: names.get(id) })) };
      };
      type Answer = { runs: { totalCount: number; edges: { node: { id: string; name: string } }[] } };
      const viaGateway = () => call<Answer>(QUERY, { e: experimentId });

      // Rounds of raw then gateway, so a change in machine load falls on both sides.
      for (let round = 0; round < rounds; round++) {
        if (embedded) await metrics.stop();
        const client = await createClickHouse({ clickhouse });
        let rawAnswer: Awaited<ReturnType<typeof raw>>;
        try {
          if (round === 0) {
            // Every run's min(val_loss) differs (a permutation of the run index), so the order has no ties.
            await client.command({
              query: `INSERT INTO ${table} (timestamp, experiment_id, run_id, metric_name, step, metric_value, tags)
SELECT fromUnixTimestamp64Milli(toInt64({baseMs:Int64} + s.number * 1000), 'UTC'), {experimentId:UUID}, r.1,
  m.name, s.number,
  if(m.name = 'val_loss', 1 + ((r.2 * 7919) % {runs:UInt32}) / {runs:UInt32} + 1 / (1 + s.number), sin(r.2 + s.number) + m.k),
  map()
FROM (SELECT arrayJoin(arrayZip({runIds:Array(UUID)}, range({runs:UInt32}))) AS r) AS runs
CROSS JOIN (SELECT arrayJoin(arrayZip({names:Array(String)}, range(5))) AS t, t.1 AS name, t.2 AS k) AS m
CROSS JOIN numbers({steps:UInt32}) AS s`,
              query_params: { baseMs: Date.now() - 3_600_000, experimentId, runIds, runs: runIds.length, names: METRICS, steps },
              clickhouse_settings: { insert_deduplicate: 0 },
            });
            // Both sides then read settled parts (a fresh insert's parts merge in the background for a while).
            await client.command({ query: `OPTIMIZE TABLE ${table} FINAL` });
            loadSeconds = (performance.now() - loadStarted) / 1000;
          }
          rawAnswer = await raw(client);
          rawTimes.push(...(await timed(reps, () => raw(client))));
        } finally {
          await client.close();
          if (embedded) await metrics.start();
        }
        const answer = await viaGateway();
        const page = answer.runs.edges.map((e) => e.node);
        if (answer.runs.totalCount !== rawAnswer.total || JSON.stringify(page) !== JSON.stringify(rawAnswer.page)) {
          throw new Error(
            `the gateway answered ${answer.runs.totalCount} runs, ${JSON.stringify(page.slice(0, 2))}… vs raw ${rawAnswer.total}, ${JSON.stringify(rawAnswer.page.slice(0, 2))}…`,
          );
        }
        gatewayTimes.push(...(await timed(reps, viaGateway)));
      }
    } finally {
      await prisma.$disconnect().catch(() => {});
      await pool.end().catch(() => {});
    }
    const rawMs = p50(rawTimes);
    const gatewayMs = p50(gatewayTimes);
    process.stdout.write(
      `  (${runCount.toLocaleString('en')} runs × ${METRICS.length} metrics × ${steps} steps loaded in ${loadSeconds.toFixed(1)} s; p50 of ${rawTimes.length} in ${rounds} rounds: raw ${rawMs.toFixed(1)} ms, gateway ${gatewayMs.toFixed(1)} ms)\n`,
    );
    return [
      figure(
        `first ${PAGE} of ${runCount / 1000}k runs by min(val_loss), gateway`,
        'ms',
        gatewayMs,
        { name: 'raw PostgreSQL runs + ClickHouse min/order/limit, in process', value: rawMs },
        'lower',
      ),
    ];
  },
};
