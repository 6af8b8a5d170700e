/**
 * Subscription fan-out: BENCH_SUBSCRIBERS (default 1,000) WebSocket clients
 * subscribed through the gateway to one run's metricStream (with the run's
 * name from the registry, so every event is completed by a federated fetch),
 * while points are logged at a steady rate (BENCH_FANOUT_RATE points/s,
 * default 20, one logMetrics call each). Each point carries its send time as
 * its value; a client's latency is receive time − send time.
 *
 * Baseline, same run: one subscriber alone at the same rate. Figures: p50 and
 * p99 event-to-client latency, and events delivered per second across all
 * clients (the expected number is rate × subscribers).
 */
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { type Benchmark, benchExperiment, figure, gql, latencyFigures } from '../harness';

const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 1000);
const RATE = Number(process.env.BENCH_FANOUT_RATE ?? 20);

const STREAM = 'subscription($r: ID!) { metricStream(runId: $r) { step value run { name } } }';

export interface Phase {
  p50Ms: number;
  p99Ms: number;
  /** Events delivered across all clients per second of logging. */
  eventsPerSecond: number;
  delivered: number;
  /** Points logged in the window × subscribers. */
  expected: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/**
 * `subscribers` clients (50 per WebSocket) spread over `subscribeUrls` in
 * turn, points logged through `logUrl` at `rate` per second for `seconds`.
 */
export async function phase(
  subscribeUrls: readonly string[],
  logUrl: string,
  key: string,
  runId: string,
  subscribers: number,
  seconds: number,
  firstStep: number,
  rate = RATE,
): Promise<Phase> {
  const latencies: number[] = [];
  let delivered = 0;
  let measuring = false;
  const clients = Array.from({ length: Math.max(subscribeUrls.length, Math.ceil(subscribers / 50)) }, (_, i) =>
    createClient({
      url: (subscribeUrls[i % subscribeUrls.length] as string).replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { Authorization: `Bearer ${key}` },
      retryAttempts: 0,
    }),
  );
  let ready = 0;
  const stops: (() => void)[] = [];
  for (let i = 0; i < subscribers; i++) {
    const client = clients[i % clients.length] as (typeof clients)[number];
    let first = true;
    stops.push(
      client.subscribe<{ metricStream: { value: number } }>(
        { query: STREAM, variables: { r: runId } },
        {
          next: (event) => {
            if (first) {
              first = false;
              ready++;
            }
            if (!measuring || !event.data) return;
            delivered++;
            latencies.push(Date.now() - event.data.metricStream.value);
          },
          error: (err) => console.error('subscriber error', err),
          complete: () => {},
        },
      ),
    );
  }
  // Warm up: log until every subscriber has an event (all subscriptions live).
  const log = (step: number) =>
    gql(logUrl, key, 'mutation($r: ID!, $p: [MetricPointInput!]!) { logMetrics(runId: $r, points: $p) { accepted } }', {
      r: runId,
      p: [{ name: 'latency', value: Date.now(), step }],
    });
  let step = firstStep;
  const warmUntil = Date.now() + 60_000;
  while (ready < subscribers) {
    if (Date.now() > warmUntil) throw new Error(`only ${ready} of ${subscribers} subscribers got an event`);
    await log(step++);
    await new Promise((r) => setTimeout(r, 200));
  }
  await new Promise((r) => setTimeout(r, 500));
  measuring = true;
  const started = Date.now();
  const interval = 1000 / rate;
  let sent = 0;
  while (Date.now() - started < seconds * 1000) {
    const due = started + sent * interval;
    if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
    void log(step++);
    sent++;
  }
  const elapsed = (Date.now() - started) / 1000;
  // Late events still count (their latency says how late), for a while.
  const settleUntil = Date.now() + 10_000;
  while (delivered < sent * subscribers && Date.now() < settleUntil) await new Promise((r) => setTimeout(r, 100));
  measuring = false;
  for (const stop of stops) stop();
  await Promise.all(clients.map((c) => c.dispose()));
  latencies.sort((a, b) => a - b);
  return {
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    eventsPerSecond: delivered / elapsed,
    delivered,
    expected: sent * subscribers,
  };
}

export const subscriptionFanout: Benchmark = {
  name: 'subscription-fanout',
  description: `${SUBSCRIBERS} WebSocket subscribers to one run's metricStream through the gateway, ${RATE} points/s, vs one subscriber`,
  async run({ platform, durationSeconds }) {
    const key = platform.adminApiKey;
    const url = platform.graphqlUrl;
    const runId = await (await benchExperiment(platform, 'fanout')).startRun('live');
    const seconds = Math.max(durationSeconds, 5);
    const single = await phase([url], url, key, runId, 1, seconds, 0);
    const many = await phase([url], url, key, runId, SUBSCRIBERS, seconds, 1_000_000);
    console.log(
      `  fan-out: ${SUBSCRIBERS} subscribers got ${many.delivered} of ${many.expected} events ` +
        `(${Math.round(many.eventsPerSecond)} events/s); one subscriber p50 ${single.p50Ms} ms, p99 ${single.p99Ms} ms`,
    );
    const base = (name: string, v: number) => ({ name, value: v });
    return [
      ...latencyFigures(`event-to-client latency, ${SUBSCRIBERS} subscribers`, many, { ...single, name: 'one subscriber' }),
      figure(
        `events delivered per second, ${SUBSCRIBERS} subscribers`,
        'events/s',
        many.eventsPerSecond,
        base(`offered (${RATE} points/s × ${SUBSCRIBERS})`, RATE * SUBSCRIBERS),
        'higher',
      ),
    ];
  },
};
