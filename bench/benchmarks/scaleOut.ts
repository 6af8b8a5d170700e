/**
 * Scale-out: the platform as replicas sharing one Redis (a redis-server
 * started here), beside the single-replica platform of this run.
 *
 * Fan-out across replicas: BENCH_SUBSCRIBERS (default 1,000) subscribers
 * spread over two gateways (each in front of its own metrics replica) while
 * points are logged through the second at BENCH_SCALE_OUT_RATE per second
 * (default 5: a load one gateway delivers on 2 cores, so latency measures
 * the path rather than a growing queue), so
 * half the subscribers get their points from the other replica through
 * Redis. Baseline, same run: the same subscribers on the single-replica
 * platform (one gateway, one metrics, no Redis). Figures: p50 and p99
 * log-to-client latency, events delivered per second.
 *
 * Shared rate limits: `{ __typename }` under load through a gateway taking
 * each request's token from Redis (the Lua bucket), against a gateway with
 * the same limit in its own memory, three rounds each in turn (medians).
 * Figure: requests per second.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '@lab/shared';
import { ENTRIES, REPO_ROOT, ServiceProcess } from '@lab/stack';
import { redisRequirement, startTestRedis } from '@lab/stack/testing';
import { type Benchmark, benchExperiment, figure, latencyFigures, load } from '../harness';
import { phase } from './subscriptionFanout';

const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 1000);
const RATE = Number(process.env.BENCH_SCALE_OUT_RATE ?? 5);

export const scaleOut: Benchmark = {
  name: 'scale-out',
  description: `${SUBSCRIBERS} subscribers over two gateways and two metrics replicas sharing Redis vs one of each; shared vs local rate limits`,
  async run({ platform, durationSeconds, connections }) {
    const requirement = redisRequirement();
    if (requirement !== 'run') throw new Error(requirement);
    const redis = await startTestRedis();
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'lab-bench-replicas-'));
    const log = createLogger('bench-scale-out', { logLevel: 'silent', logFormat: 'json' });
    const started: ServiceProcess[] = [];
    const service = async (name: string, entry: string, env: NodeJS.ProcessEnv): Promise<string> => {
      const proc = new ServiceProcess(
        {
          name,
          entry: path.join(REPO_ROOT, entry),
          env: { ...platform.serviceEnv, LAB_REDIS_URL: redis.url, ...env },
          output: { logDir: path.join(dataDir, 'logs') },
        },
        log,
      );
      started.push(proc);
      return proc.start();
    };
    try {
      const subgraph = (name: 'registry' | 'artifacts') => `${platform.services[name].url}/graphql`;
      const metricsReplica = (n: number) =>
        service(`metrics-${n}`, ENTRIES.metrics, { METRICS_PORT: '0', LAB_DATA_DIR: path.join(dataDir, `metrics-${n}`) });
      const [metrics1, metrics2] = await Promise.all([metricsReplica(1), metricsReplica(2)]);
      const gateway = (name: string, metricsUrl: string, env: NodeJS.ProcessEnv = {}) =>
        service(name, ENTRIES.gateway, {
          GATEWAY_PORT: '0',
          REGISTRY_URL: subgraph('registry'),
          ARTIFACTS_URL: subgraph('artifacts'),
          METRICS_URL: `${metricsUrl}/graphql`,
          // A limit no load here reaches: every request takes a token, none is refused.
          GATEWAY_RATE_LIMIT_PER_SECOND: '1000000',
          GATEWAY_RATE_LIMIT_BURST: '1000000',
          ...env,
        });
      const [gatewayA, gatewayB, gatewayLocal] = await Promise.all([
        gateway('gateway-a', metrics1),
        gateway('gateway-b', metrics2),
        gateway('gateway-local', metrics1, { LAB_REDIS_URL: '' }),
      ]);
      const urls = { a: `${gatewayA}/graphql`, b: `${gatewayB}/graphql`, local: `${gatewayLocal}/graphql` };

      const key = platform.adminApiKey;
      const single = platform.graphqlUrl;
      const runId = await (await benchExperiment(platform, 'scale-out')).startRun('live');
      const seconds = Math.max(durationSeconds, 5);
      const one = await phase([single], single, key, runId, SUBSCRIBERS, seconds, 0, RATE);
      const two = await phase([urls.a, urls.b], urls.b, key, runId, SUBSCRIBERS, seconds, 1_000_000, RATE);
      console.log(
        `  one replica: ${one.delivered} of ${one.expected} events, p50 ${one.p50Ms} ms, p99 ${one.p99Ms} ms; ` +
          `two replicas: ${two.delivered} of ${two.expected}, p50 ${two.p50Ms} ms, p99 ${two.p99Ms} ms`,
      );

      const typename = (url: string) =>
        load({
          url,
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
          body: JSON.stringify({ query: '{ __typename }' }),
          durationSeconds,
          connections,
        });
      await typename(urls.local); // warm-up of both paths
      await typename(urls.a);
      const locals: number[] = [];
      const shareds: number[] = [];
      for (let round = 0; round < 3; round++) {
        locals.push((await typename(urls.local)).requestsPerSecond);
        shareds.push((await typename(urls.a)).requestsPerSecond);
      }
      const median = (values: number[]) => [...values].sort((x, y) => x - y)[1] as number;
      console.log(
        `  rate limit rounds, shared: ${shareds.map(Math.round).join(', ')}; local: ${locals.map(Math.round).join(', ')} req/s`,
      );
      const local = { requestsPerSecond: median(locals) };
      const shared = { requestsPerSecond: median(shareds) };
      return [
        ...latencyFigures(`log-to-client latency, ${SUBSCRIBERS} subscribers over 2 gateways + 2 metrics`, two, {
          ...one,
          name: 'one gateway + one metrics',
        }),
        figure(
          `events delivered per second, ${SUBSCRIBERS} subscribers over 2 replicas`,
          'events/s',
          two.eventsPerSecond,
          { name: `one replica (offered ${RATE * SUBSCRIBERS})`, value: one.eventsPerSecond },
          'higher',
        ),
        figure(
          '{ __typename } with the rate limit shared in Redis',
          'req/s',
          shared.requestsPerSecond,
          { name: 'the same limit in the gateway alone', value: local.requestsPerSecond },
          'higher',
        ),
      ];
    } finally {
      await Promise.allSettled(started.map((s) => s.stop()));
      await redis.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
};
