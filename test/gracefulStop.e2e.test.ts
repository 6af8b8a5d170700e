/**
 * Ctrl-C of `npm start` with work in flight, as a user at a terminal does it: SIGINT to the launcher's
 * whole process group (npm, tsx and the launcher) while GraphQL mutations run in a loop, two NDJSON
 * ingest streams arrive (one ending during the drain, one that would never end) and a dashboard holds
 * a metricStream subscription. Every request gets its answer, a clean 503 SERVICE_UNAVAILABLE or a
 * refused connection; the subscription is closed with 1001 (going away); the stream still arriving at
 * the cutoff is told how many of its first points are stored; each service logs one clean stop, none a
 * "second signal"; the whole platform is down within the bound; after a restart every acknowledged
 * point is in ClickHouse, once.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { FREE_PORTS_ENV, REPO_ROOT } from '@lab/stack';
import { createClient } from 'graphql-ws';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { eventually, newDataDir, startTestPlatform, TEST_ADMIN_KEY, type TestPlatform } from './support/testPlatform';

/** LAB_STOP_TIMEOUT_SECONDS of this platform: streams are cut at 3 s, connections closed at 4.5 s. */
const STOP_TIMEOUT_SECONDS = 6;
const CHUNK_LINES = 25_000;
const LOG = 'mutation($r: ID!, $p: [MetricPointInput!]!) { logMetrics(runId: $r, points: $p) { accepted } }';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Launched {
  child: ChildProcess;
  lines: string[];
  graphqlUrl: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `npm start` in its own process group, as a terminal runs it; resolves once its banner shows the address. */
async function npmStart(dataDir: string): Promise<Launched> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ['NODE_ENV', 'DATABASE_URL', 'CLICKHOUSE_URL', 'S3_ENDPOINT', 'LAB_INTERNAL_SECRET']) delete env[name];
  Object.assign(env, {
    LAB_DATA_DIR: dataDir,
    LAB_ADMIN_API_KEY: TEST_ADMIN_KEY,
    LOG_FORMAT: 'json',
    LOG_LEVEL: 'info',
    LAB_STOP_TIMEOUT_SECONDS: String(STOP_TIMEOUT_SECONDS),
    GATEWAY_RATE_LIMIT_PER_SECOND: '0',
    ...FREE_PORTS_ENV,
  });
  const child = spawn('npm', ['start'], { cwd: REPO_ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const graphqlUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start did not come up:\n${lines.slice(-30).join('\n')}`)), 150_000);
    for (const stream of [child.stdout, child.stderr]) {
      let rest = '';
      stream?.on('data', (chunk: Buffer) => {
        const parts = (rest + chunk.toString()).split('\n');
        rest = parts.pop() ?? '';
        lines.push(...parts);
        const url = parts.map((l) => /GraphQL\s+POST (\S+)/.exec(l)?.[1]).find(Boolean);
        if (url) {
          clearTimeout(timer);
          resolve(url);
        }
      });
    }
    void exited.then(() => reject(new Error(`npm start exited:\n${lines.slice(-30).join('\n')}`)));
  });
  return { child, lines, graphqlUrl, exited };
}

async function gql<T>(graphqlUrl: string, query: string, variables: Record<string, unknown>): Promise<T> {
  const answer = await fetch(graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_ADMIN_KEY}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await answer.json()) as { data?: T; errors?: unknown[] };
  if (!body.data || body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

/**
 * What a request came to: ok; unavailable (503 SERVICE_UNAVAILABLE); refused (the connection was not
 * accepted: refused, or reset while connecting because the listener closed with it queued); or
 * anything else, a failure.
 */
async function outcomeOf(request: Promise<Response>): Promise<string> {
  let answer: Response;
  try {
    answer = await request;
  } catch (err) {
    const cause = (err as { cause?: { code?: string; syscall?: string; message?: string } }).cause;
    if (cause?.syscall === 'connect' && (cause.code === 'ECONNREFUSED' || cause.code === 'ECONNRESET')) return 'refused';
    return `failed: ${cause?.code ?? cause?.message ?? String(err)}`;
  }
  const body = (await answer.json().catch(() => ({}))) as { errors?: { extensions?: { code?: string } }[] };
  const codes = (body.errors ?? []).map((e) => e.extensions?.code);
  if (answer.status === 200 && codes.length === 0) return 'ok';
  if (answer.status === 503 && codes.every((c) => c === 'SERVICE_UNAVAILABLE')) return 'unavailable';
  return `failed: ${answer.status} ${codes.join(',')}`;
}

/** An NDJSON body of points `name` with step = line number from 0: a burst, then a trickle until `end()`. */
class PointStream {
  sent = 0;
  private ending = false;
  constructor(
    private readonly runId: string,
    private readonly name: string,
    private readonly burst: number,
  ) {}

  end(): void {
    this.ending = true;
  }

  body(): ReadableStream<Uint8Array> {
    const encoder = new TextEncoder();
    const lines = (n: number) => {
      let text = '';
      for (let i = 0; i < n; i++, this.sent++) {
        text += `${JSON.stringify({ runId: this.runId, name: this.name, value: this.sent, step: this.sent })}\n`;
      }
      return encoder.encode(text);
    };
    return new ReadableStream({
      pull: async (controller) => {
        if (this.sent < this.burst) return controller.enqueue(lines(Math.min(5000, this.burst - this.sent)));
        await sleep(100);
        if (this.ending) return controller.close();
        controller.enqueue(lines(50));
      },
    });
  }
}

function postStream(gatewayUrl: string, stream: PointStream): Promise<Response> {
  return fetch(`${gatewayUrl}/v1/metrics`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TEST_ADMIN_KEY}`, 'content-type': 'application/x-ndjson' },
    body: stream.body(),
    duplex: 'half',
  } as RequestInit);
}

describe('Ctrl-C of npm start with work in flight', () => {
  const dataDir = newDataDir('lab-e2e-stop-');
  let launched: Launched | undefined;
  let restarted: TestPlatform | undefined;
  afterAll(async () => {
    if (launched && launched.child.exitCode === null && launched.child.signalCode === null) {
      process.kill(-(launched.child.pid as number), 'SIGINT');
      await launched.exited;
    }
    await restarted?.stop();
  });

  it('drains it: clean answers only, the stream told what is stored, one clean stop each, nothing acknowledged lost', async () => {
    launched = await npmStart(dataDir);
    const { graphqlUrl } = launched;
    const gatewayUrl = graphqlUrl.replace(/\/graphql$/, '');
    const { createProject } = await gql<{ createProject: { id: string } }>(
      graphqlUrl,
      'mutation { createProject(input: { name: "stop" }) { id } }',
      {},
    );
    const { createExperiment } = await gql<{ createExperiment: { id: string } }>(
      graphqlUrl,
      'mutation($p: ID!) { createExperiment(input: { projectId: $p, name: "drain" }) { id } }',
      { p: createProject.id },
    );
    const { startRun } = await gql<{ startRun: { id: string } }>(
      graphqlUrl,
      'mutation($e: ID!) { startRun(input: { experimentId: $e, name: "ctrl-c" }) { id } }',
      { e: createExperiment.id },
    );
    const runId = startRun.id;

    // A dashboard's live stream, known to be running once a point comes through.
    let closeCode: number | undefined;
    const client = createClient({
      url: graphqlUrl.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { Authorization: `Bearer ${TEST_ADMIN_KEY}` },
      retryAttempts: 0,
      on: { closed: (event) => (closeCode ??= (event as { code: number }).code) },
    });
    const live: unknown[] = [];
    const subscription = (async () => {
      try {
        for await (const event of client.iterate({
          query: `subscription { metricStream(runId: "${runId}", names: ["ping"]) { step } }`,
        }))
          live.push(event);
      } catch {
        // ends with the socket
      }
    })();
    await eventually(async () => {
      await gql(graphqlUrl, LOG, { r: runId, p: [{ name: 'ping', value: 1, step: live.length }] });
      expect(live.length).toBeGreaterThan(0);
    });

    // Two ingest streams: both have a chunk stored before the stop.
    const ending = new PointStream(runId, 'stream_ending', CHUNK_LINES + 5000);
    const endless = new PointStream(runId, 'stream_endless', CHUNK_LINES + 5000);
    const endingAnswer = postStream(gatewayUrl, ending);
    const endlessAnswer = postStream(gatewayUrl, endless);
    await eventually(async () => {
      const { run } = await gql<{ run: { metrics: { name: string; count: number }[] } }>(
        graphqlUrl,
        'query($id: ID!) { run(id: $id) { metrics { name count } } }',
        { id: runId },
      );
      const counts = Object.fromEntries(run.metrics.map((m) => [m.name, m.count]));
      expect(counts.stream_ending).toBeGreaterThanOrEqual(CHUNK_LINES);
      expect(counts.stream_endless).toBeGreaterThanOrEqual(CHUNK_LINES);
    }, 60_000);

    // GraphQL mutations in a loop, each logging 10 points of its own name, until the platform is gone.
    const acknowledged: string[] = [];
    const outcomes = new Map<string, number>();
    let down = false;
    const worker = async (w: number) => {
      for (let i = 0; !down; i++) {
        const name = `gql_${w}_${i}`;
        const points = Array.from({ length: 10 }, (_, step) => ({ name, value: step, step }));
        const outcome = await outcomeOf(
          fetch(graphqlUrl, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_ADMIN_KEY}` },
            body: JSON.stringify({ query: LOG, variables: { r: runId, p: points } }),
          }),
        );
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
        if (outcome === 'ok') acknowledged.push(name);
        else await sleep(50);
      }
    };
    const workers = [0, 1, 2, 3].map(worker);
    await sleep(1000);

    // Ctrl-C: SIGINT to every process of the terminal's foreground group.
    const stoppedAt = Date.now();
    process.kill(-(launched.child.pid as number), 'SIGINT');
    await sleep(1000);
    ending.end(); // this one ends during the drain; the other is still sending at the cutoff
    const exit = await launched.exited;
    const stopMs = Date.now() - stoppedAt;
    writeFileSync(path.join(dataDir, 'npm-start.log'), `${launched.lines.join('\n')}\n`); // to read when this fails
    await sleep(500);
    down = true;
    await Promise.all(workers);
    endless.end();
    await subscription;
    await client.dispose();

    // Every request: its answer, or a clean refusal.
    expect([...outcomes.keys()].filter((o) => !['ok', 'unavailable', 'refused'].includes(o))).toEqual([]);
    expect(outcomes.get('ok')).toBeGreaterThan(0);
    expect(outcomes.get('refused')).toBeGreaterThan(0);

    // The stream that ended during the drain was stored whole.
    const endingReply = await endingAnswer;
    expect(endingReply.status).toBe(200);
    expect(await endingReply.json()).toEqual({ accepted: ending.sent });
    // The one still arriving at the cutoff: 503, retry later, and how many of its first points are stored.
    const endlessReply = await endlessAnswer;
    expect(endlessReply.status).toBe(503);
    expect(Number(endlessReply.headers.get('retry-after'))).toBeGreaterThan(0);
    const cut = (await endlessReply.json()) as { code: string; accepted: number };
    expect(cut.code).toBe('SERVICE_UNAVAILABLE');
    expect(cut.accepted).toBeGreaterThanOrEqual(CHUNK_LINES);
    expect(cut.accepted).toBeLessThanOrEqual(endless.sent);

    // The dashboard was told the server is going away (graphql-ws clients reconnect on 1001).
    expect(closeCode).toBe(1001);

    // One clean stop per service, no second signal, within the bound.
    const logged = launched.lines.flatMap((line) => {
      try {
        return [JSON.parse(line) as { service?: string; msg?: string }];
      } catch {
        return [];
      }
    });
    const messages = logged.map((l) => l.msg);
    expect(messages).not.toContain('second signal, exiting now');
    expect(messages).not.toContain('the stop overran its bound; exiting');
    expect(messages).not.toContain('service exited unexpectedly; restarting');
    for (const service of ['gateway', 'registry', 'metrics', 'artifacts', 'platform']) {
      expect(
        logged.filter((l) => l.service === service && l.msg === 'stopped'),
        service,
      ).toHaveLength(1);
    }
    // npm reports the Ctrl-C it was stopped by, as a shell expects; the launcher itself exited 0 ("stopped").
    expect(exit.code === 0 || exit.signal === 'SIGINT').toBe(true);
    expect(stopMs).toBeLessThan((STOP_TIMEOUT_SECONDS + 10) * 1000);
    console.log(`stop with work in flight: ${stopMs} ms; outcomes ${JSON.stringify(Object.fromEntries(outcomes))}`);

    // After a restart: every acknowledged point is in ClickHouse, once.
    restarted = await startTestPlatform({ dataDir });
    const { run } = await gql<{ run: { metrics: { name: string; count: number; lastStep: number }[] } }>(
      restarted.graphqlUrl,
      'query($id: ID!) { run(id: $id) { metrics { name count lastStep } } }',
      { id: runId },
    );
    const stored = new Map(run.metrics.map((m) => [m.name, m]));
    for (const name of acknowledged) expect(stored.get(name)?.count, name).toBe(10);
    expect(stored.get('stream_ending')).toMatchObject({ count: ending.sent, lastStep: ending.sent - 1 });
    expect(stored.get('stream_endless')).toMatchObject({ count: cut.accepted, lastStep: cut.accepted - 1 });
  });
});
