/**
 * Idempotent mutations under load, through the gateway: hundreds of logical
 * mutations (createExperiment, startRun, updateExperiment), each sent two to
 * four times with one Idempotency-Key (at once, a little later, after the
 * first answer, or aborted mid-flight and sent again), 32 requests in flight,
 * by a client that retries what it is told to retry later. Meanwhile a row is
 * held locked so that a few first attempts stay in progress and their
 * duplicates are told so (a retryable CONFLICT); after their copies settled,
 * a few keys are reused with other input. Counted afterwards: one entity and
 * one audit event (in ClickHouse, through Query.auditLog) per logical
 * mutation, every copy of a key answered with the same entity, every reuse a
 * CONFLICT, and the client's ledger adds up. Correctness only: nothing here
 * is timed.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, type GraphQLResponse, startTestPlatform, TEST_ADMIN_KEY, type TestPlatform } from './support/testPlatform';

const CREATES = 150;
const RUNS = 150;
const UPDATES = 40;
/** Experiments made before the load: the runs start in them, the updates change them. */
const BASE_EXPERIMENTS = 10;
/** Keys sent once more, after their copies settled, with other input. */
const REUSED_KEYS = 12;
/**
 * updateExperiment keys, each on an experiment of its own whose row is held
 * locked: the attempt that claims the key waits for the row (inside Prisma's
 * 5 s transaction timeout), its duplicates give up on the key after the
 * registry's 2 s and are told it is in progress; the row is released once
 * that answer came (or after HOLD_LIMIT_MS), so the check does not depend on
 * how fast a loaded machine delivers the copies. Few, so the waiting
 * transactions leave most of the registry's 10 connections to the rest.
 */
const HELD_KEYS = 2;
const HOLD_LIMIT_MS = 20_000;
const IN_FLIGHT = 32;
/** Seeds the plan (copies, modes, delays), so a failing mix can be run again. */
const SEED = 0x1dc0ffee;
/** Attempts of one copy before the client gives up (each retry is one it was told to make). */
const MAX_ATTEMPTS = 40;

const CREATE = 'mutation($i: CreateExperimentInput!) { createExperiment(input: $i) { id } }';
const START_RUN = 'mutation($i: StartRunInput!) { startRun(input: $i) { id } }';
const UPDATE = 'mutation($id: ID!, $i: UpdateExperimentInput!) { updateExperiment(id: $id, input: $i) { id } }';

/** One logical mutation: what the client means to happen once. */
interface Mutation {
  key: string;
  query: string;
  field: 'createExperiment' | 'startRun' | 'updateExperiment';
  variables: Record<string, unknown>;
  /** The same key with this input instead: must be refused. */
  otherVariables: Record<string, unknown>;
}

/**
 * How one copy is sent: `first` at once; `concurrent` at once beside the first;
 * `delayed` a few milliseconds later; `afterAnswer` once the first copy was
 * answered; `aborted` cut by the client mid-flight, then sent again.
 */
type Mode = 'first' | 'concurrent' | 'delayed' | 'afterAnswer' | 'aborted';

interface Copy {
  mode: Mode;
  delayMs: number;
  abortAfterMs: number;
}

/** What one HTTP request came back with, as the client sorts it. */
type Outcome =
  | { kind: 'ok'; id: string }
  | { kind: 'reused'; message: string }
  | { kind: 'inProgress' }
  | { kind: 'rateLimited'; retryAfterMs: number }
  | { kind: 'aborted' }
  | { kind: 'failed'; detail: string };

/** Requests sent, and how each ended. */
type Ledger = Record<Outcome['kind'] | 'sent', number>;

const at = (mode: Mode): Copy => ({ mode, delayMs: 0, abortAfterMs: 0 });

/** The copies of a held key: sent together, one claims the key, the others wait for it. */
const HELD_COPIES: Copy[] = [at('first'), at('concurrent'), at('concurrent')];

/** mulberry32: a small seeded generator, so the plan is the same on every run. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** At most `size` requests in flight; the others wait for a free place. */
class InFlight {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  peak = 0;

  constructor(private readonly size: number) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    while (this.active >= this.size) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active += 1;
    this.peak = Math.max(this.peak, this.active);
    try {
      return await work();
    } finally {
      this.active -= 1;
      this.waiting.shift()?.();
    }
  }
}

/** Sorts a gateway answer: the entity's id, a reused key, a key still in progress, rate limited, or a failure. */
function classify(field: Mutation['field'], status: number, headers: Headers, body: GraphQLResponse['body']): Outcome {
  const error = body.errors?.[0];
  if (status === 429) return { kind: 'rateLimited', retryAfterMs: Number(headers.get('retry-after') ?? 1) * 1000 };
  if (error?.extensions?.code === 'CONFLICT' && error.extensions.reason === 'IDEMPOTENCY_KEY_IN_PROGRESS') {
    return { kind: 'inProgress' };
  }
  if (error?.extensions?.code === 'CONFLICT' && error.extensions.reason === 'IDEMPOTENCY_KEY_REUSED') {
    return { kind: 'reused', message: error.message };
  }
  const id = (body.data?.[field] as { id?: string } | undefined)?.id;
  if (!error && id) return { kind: 'ok', id };
  return { kind: 'failed', detail: `HTTP ${status} ${JSON.stringify(body)}` };
}

/** How long the client waits before sending a copy again; undefined when the outcome is final. */
function retryDelay(outcome: Outcome): number | undefined {
  switch (outcome.kind) {
    case 'aborted':
      return 10 + Math.random() * 40;
    case 'inProgress':
      return 100 + Math.random() * 200;
    case 'rateLimited':
      return outcome.retryAfterMs + Math.random() * 250;
    default:
      return undefined;
  }
}

/** Two to four copies of one mutation: the first at once (or aborted), the others in any mode. */
function planCopies(random: () => number): Copy[] {
  const count = 2 + Math.floor(random() * 3);
  const later: Mode[] = ['concurrent', 'concurrent', 'delayed', 'delayed', 'afterAnswer', 'aborted'];
  return Array.from({ length: count }, (_, i) => {
    const mode: Mode = i === 0 ? (random() < 0.2 ? 'aborted' : 'first') : (later[Math.floor(random() * later.length)] as Mode);
    return { mode, delayMs: 5 + Math.floor(random() * 200), abortAfterMs: 1 + Math.floor(random() * 120) };
  });
}

/** Fisher–Yates with the seeded generator, so the kinds of mutation interleave. */
function shuffled<T>(items: T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

const sortedIds = (ids: string[]) => [...ids].sort();

describe('idempotent mutations under concurrent load, with retries and duplicated keys', () => {
  let platform: TestPlatform;
  let databaseUrl: string;
  let projectId: string;
  const baseExperiments: string[] = [];
  const heldExperiments: string[] = [];
  /** In-progress answers per held key. */
  const heldInProgress = new Map<string, number>();
  const inFlight = new InFlight(IN_FLIGHT);
  const ledger: Ledger = { sent: 0, ok: 0, reused: 0, inProgress: 0, rateLimited: 0, aborted: 0, failed: 0 };
  const failures: string[] = [];

  async function ok<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const res = await platform.gql<T>(query, variables);
    expect(res.body.errors, JSON.stringify(res.body.errors)).toBeUndefined();
    return res.body.data as T;
  }

  async function createExperiment(name: string): Promise<string> {
    return (await ok<{ createExperiment: { id: string } }>(CREATE, { i: { projectId, name } })).createExperiment.id;
  }

  /** One HTTP request of `m` under its key, cut by the client after `abortAfterMs` when given. */
  async function post(m: Mutation, variables: Record<string, unknown>, abortAfterMs?: number): Promise<Outcome> {
    const controller = new AbortController();
    const timer = abortAfterMs === undefined ? undefined : setTimeout(() => controller.abort(), abortAfterMs);
    try {
      const response = await fetch(platform.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_ADMIN_KEY}`, 'Idempotency-Key': m.key },
        body: JSON.stringify({ query: m.query, variables }),
        signal: controller.signal,
      });
      const body = (await response.json()) as GraphQLResponse['body'];
      return classify(m.field, response.status, response.headers, body);
    } catch (err) {
      if (controller.signal.aborted) return { kind: 'aborted' };
      return { kind: 'failed', detail: String(err) };
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends one copy as a client would: again after an abort, an in-progress answer or a 429; its final outcome. */
  async function deliver(m: Mutation, copy: Copy, variables = m.variables): Promise<Outcome> {
    let abortAfterMs = copy.mode === 'aborted' ? copy.abortAfterMs : undefined;
    for (let attempt = 1; ; attempt++) {
      const outcome = await inFlight.run(() => post(m, variables, abortAfterMs));
      ledger.sent += 1;
      ledger[outcome.kind] += 1;
      if (outcome.kind === 'inProgress' && m.key.startsWith('load-held-'))
        heldInProgress.set(m.key, (heldInProgress.get(m.key) ?? 0) + 1);
      if (outcome.kind === 'failed') failures.push(`${m.key}: ${outcome.detail}`);
      abortAfterMs = undefined;
      const wait = retryDelay(outcome);
      if (wait === undefined || attempt === MAX_ATTEMPTS) return outcome;
      await sleep(wait);
    }
  }

  /** Every copy of `m`, each started as its mode says; their final outcomes in copy order. */
  async function sendCopies(m: Mutation, copies: Copy[]): Promise<Outcome[]> {
    const [firstCopy, ...others] = copies as [Copy, ...Copy[]];
    const first = deliver(m, firstCopy);
    const rest = others.map(async (copy) => {
      if (copy.mode === 'delayed') await sleep(copy.delayMs);
      if (copy.mode === 'afterAnswer') await first;
      return deliver(m, copy);
    });
    return Promise.all([first, ...rest]);
  }

  /** The logical mutations of the load, kinds interleaved, then the held ones. */
  function planMutations(random: () => number): Mutation[] {
    const creates = Array.from({ length: CREATES }, (_, i) => ({
      key: `load-create-${i}`,
      query: CREATE,
      field: 'createExperiment' as const,
      variables: { i: { projectId, name: `load-${i}` } },
      otherVariables: { i: { projectId, name: `load-${i}-other` } },
    }));
    const runs = Array.from({ length: RUNS }, (_, i) => {
      const experimentId = baseExperiments[i % BASE_EXPERIMENTS];
      return {
        key: `load-run-${i}`,
        query: START_RUN,
        field: 'startRun' as const,
        variables: { i: { experimentId, name: `run-${i}` } },
        otherVariables: { i: { experimentId, name: `run-${i}-other` } },
      };
    });
    const updates = Array.from({ length: UPDATES }, (_, i) => update(`load-update-${i}`, baseExperiments[i % BASE_EXPERIMENTS]));
    const held = Array.from({ length: HELD_KEYS }, (_, i) => update(`load-held-${i}`, heldExperiments[i]));
    return [...held, ...shuffled([...creates, ...runs, ...updates], random)];
  }

  function update(key: string, experimentId: string | undefined): Mutation {
    return {
      key,
      query: UPDATE,
      field: 'updateExperiment',
      variables: { id: experimentId, i: { description: key } },
      otherVariables: { id: experimentId, i: { description: `${key} other` } },
    };
  }

  /**
   * Locks the experiment's row in a transaction of its own, as a long write elsewhere would, until `key`'s
   * duplicates were told the key is in progress (or HOLD_LIMIT_MS passed); `released` once committed.
   */
  async function holdExperimentRow(id: string, key: string): Promise<{ released: Promise<unknown> }> {
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    await db.query('BEGIN');
    await db.query('SELECT 1 FROM experiments WHERE id = $1 FOR UPDATE', [id]);
    const released = (async () => {
      const until = Date.now() + HOLD_LIMIT_MS;
      while (!heldInProgress.get(key) && Date.now() < until) await sleep(20);
      await db.query('COMMIT');
      await db.end();
    })();
    return { released };
  }

  /** Sends every mutation's copies; a key picked for reuse is sent once more with other input after its copies settled. */
  async function runLoad(mutations: Mutation[], plans: Copy[][], reusedKeys: Set<string>) {
    const reuses: { key: string; outcome: Outcome }[] = [];
    const answers = await Promise.all(
      mutations.map(async (m, i) => {
        const outcomes = await sendCopies(m, plans[i] as Copy[]);
        if (reusedKeys.has(m.key)) reuses.push({ key: m.key, outcome: await deliver(m, at('first'), m.otherVariables) });
        return outcomes;
      }),
    );
    return { answers, reuses };
  }

  /** How many events of the project's audit log have this action (all of them when none is named). */
  async function auditCount(action?: string): Promise<number> {
    const data = await ok<{ auditLog: { totalCount: number } }>(
      'query($f: AuditLogFilter) { auditLog(filter: $f, first: 1) { totalCount } }',
      { f: { projectId, ...(action ? { action } : {}) } },
    );
    return data.auditLog.totalCount;
  }

  /** Every event of the project's audit log, page by page. */
  async function auditEvents(): Promise<{ id: string; action: string; entityId: string }[]> {
    type Page = {
      auditLog: {
        edges: { node: { id: string; action: string; entityId: string } }[];
        pageInfo: { hasNextPage: boolean; endCursor: string };
      };
    };
    const events: { id: string; action: string; entityId: string }[] = [];
    let after: string | null = null;
    for (;;) {
      const page: Page = await ok<Page>(
        `query($f: AuditLogFilter, $after: String) { auditLog(filter: $f, first: 100, after: $after) {
          edges { node { id action entityId } } pageInfo { hasNextPage endCursor } } }`,
        { f: { projectId }, after },
      );
      events.push(...page.auditLog.edges.map((e) => e.node));
      if (!page.auditLog.pageInfo.hasNextPage) return events;
      after = page.auditLog.pageInfo.endCursor;
    }
  }

  async function totalCount(connection: 'experiments' | 'runs'): Promise<number> {
    const data = await ok<Record<string, { totalCount: number }>>(
      `query($p: ID!) { ${connection}(filter: { projectId: $p }) { totalCount } }`,
      { p: projectId },
    );
    return data[connection]?.totalCount ?? -1;
  }

  beforeAll(async () => {
    // The gateway's rate limit off: the load is meant to reach the registry, 32 requests at a time.
    platform = await startTestPlatform({ env: { GATEWAY_RATE_LIMIT_PER_SECOND: '0' } });
    databaseUrl = platform.serviceEnv.DATABASE_URL as string;
    const project = await ok<{ createProject: { id: string } }>(
      'mutation { createProject(input: { name: "consistency-load" }) { id } }',
    );
    projectId = project.createProject.id;
    for (let i = 0; i < BASE_EXPERIMENTS; i++) baseExperiments.push(await createExperiment(`base-${i}`));
    for (let i = 0; i < HELD_KEYS; i++) heldExperiments.push(await createExperiment(`held-${i}`));
  });
  afterAll(async () => {
    await platform?.stop();
  });

  it('no duplicate and no loss: one entity and one audit event per logical mutation, every copy answered alike', async () => {
    const random = seeded(SEED);
    const mutations = planMutations(random);
    const plans = mutations.map((m) => (m.key.startsWith('load-held-') ? HELD_COPIES : planCopies(random)));
    const reusable = mutations.filter((m) => !m.key.startsWith('load-held-'));
    const reusedKeys = new Set(
      shuffled(reusable, random)
        .slice(0, REUSED_KEYS)
        .map((m) => m.key),
    );

    const holds = await Promise.all(heldExperiments.map((id, i) => holdExperimentRow(id, `load-held-${i}`)));
    const { answers, reuses } = await runLoad(mutations, plans, reusedKeys);
    await Promise.all(holds.map((h) => h.released));

    // Every request ended as the client expects, and every copy of a key answered the same entity.
    expect(failures.slice(0, 5)).toEqual([]);
    const idOf = new Map<string, string>();
    mutations.forEach((m, i) => {
      const ids = new Set((answers[i] as Outcome[]).map((o) => (o.kind === 'ok' ? o.id : `not ok: ${o.kind}`)));
      expect([...ids], m.key).toHaveLength(1);
      idOf.set(m.key, [...ids][0] as string);
    });
    const idsOf = (field: Mutation['field']) => mutations.filter((m) => m.field === field).map((m) => idOf.get(m.key) as string);
    expect(new Set(idsOf('createExperiment')).size).toBe(CREATES);
    expect(new Set(idsOf('startRun')).size).toBe(RUNS);
    expect(reuses).toHaveLength(REUSED_KEYS);
    for (const { key, outcome } of reuses) {
      expect(outcome, key).toMatchObject({ kind: 'reused', message: expect.stringContaining(`"${key}"`) });
    }

    // Exactly one entity per logical mutation: none doubled by a copy, none lost, none made by a reused key.
    const madeBefore = BASE_EXPERIMENTS + HELD_KEYS;
    expect(await totalCount('experiments')).toBe(madeBefore + CREATES);
    expect(await totalCount('runs')).toBe(RUNS);

    // Exactly one audit event per logical mutation, once the relay has shipped them all to ClickHouse.
    const eventsBefore = 1 + madeBefore;
    const logical = mutations.length;
    await eventually(async () => expect(await auditCount()).toBe(eventsBefore + logical), 60_000, 500);
    expect(await auditCount('experiment.create')).toBe(madeBefore + CREATES);
    expect(await auditCount('run.start')).toBe(RUNS);
    expect(await auditCount('experiment.update')).toBe(UPDATES + HELD_KEYS);
    const events = await auditEvents();
    expect(new Set(events.map((e) => e.id)).size).toBe(eventsBefore + logical);
    const entitiesOf = (action: string) => sortedIds(events.filter((e) => e.action === action).map((e) => e.entityId));
    expect(entitiesOf('experiment.create')).toEqual(
      sortedIds([...baseExperiments, ...heldExperiments, ...idsOf('createExperiment')]),
    );
    expect(entitiesOf('run.start')).toEqual(sortedIds(idsOf('startRun')));
    expect(entitiesOf('experiment.update')).toEqual(sortedIds(idsOf('updateExperiment')));

    // The ledger. Each copy ended in one answer with the entity; the work was done once per logical mutation
    // (the audit events), so every other answer was a replay; every reuse was refused; the other requests were
    // retries the client was told to make.
    const copies = plans.reduce((n, p) => n + p.length, 0);
    const duplicates = copies - logical;
    const work = (await auditCount()) - eventsBefore;
    const replays = ledger.ok - work;
    const retries = ledger.aborted + ledger.inProgress + ledger.rateLimited;
    console.log(
      `consistency load: ${logical} logical mutations (${CREATES} createExperiment, ${RUNS} startRun, ` +
        `${UPDATES + HELD_KEYS} updateExperiment), ${copies} copies, ${ledger.sent} requests (peak ${inFlight.peak} in flight): ` +
        `duplicates sent X=${duplicates}, replays answered Y=${replays}, conflicts Z=${ledger.reused}; ` +
        `retried after ${ledger.aborted} aborts, ${ledger.inProgress} in-progress answers, ${ledger.rateLimited} rate limits; ` +
        `failed ${ledger.failed}`,
    );
    expect(work).toBe(logical);
    expect(ledger.ok).toBe(logical + duplicates);
    expect(replays).toBe(duplicates);
    expect(ledger.reused).toBe(REUSED_KEYS);
    expect(ledger.failed).toBe(0);
    expect(ledger.sent).toBe(copies + REUSED_KEYS + retries);
    // The mix happened: aborts mid-flight, copies after the first answer, duplicates of a key still in progress.
    expect(ledger.aborted).toBeGreaterThan(0);
    expect(plans.flat().filter((c) => c.mode === 'afterAnswer').length).toBeGreaterThan(0);
    for (let i = 0; i < HELD_KEYS; i++) expect(heldInProgress.get(`load-held-${i}`), `load-held-${i}`).toBeGreaterThan(0);
  });
});
