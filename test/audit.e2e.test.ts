import { randomUUID } from 'node:crypto';
/**
 * The audit trail end to end: mutations through the gateway reach
 * Query.auditLog (ClickHouse) through the registry's outbox and relay; with
 * the metrics subgraph stopped, mutations still succeed and their events wait
 * in the outbox; once it is back every one arrives, each exactly once
 * (counted in ClickHouse itself, without FINAL).
 */
import { createClickHouse } from '@lab/metrics';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, type GraphQLResponse, startTestPlatform, type TestPlatform } from './support/testPlatform';

const AUDIT_LOG = `query($filter: AuditLogFilter, $first: Int, $after: String) {
  auditLog(filter: $filter, first: $first, after: $after) {
    totalCount
    edges { node { id action entityType entityId actorId actorKind requestId projectId changeDigest summary } }
    pageInfo { hasNextPage endCursor }
  }
}`;
const DOWN_MUTATIONS = 20;

interface AuditPage {
  totalCount: number;
  edges: { node: AuditNode }[];
  pageInfo: { hasNextPage: boolean; endCursor: string };
}

interface AuditNode {
  id: string;
  action: string;
  entityType: string;
  entityId: string;
  actorId: string;
  actorKind: string;
  requestId: string;
  projectId: string | null;
}

describe('audit trail through the outbox', () => {
  let platform: TestPlatform;
  let db: pg.Client;
  let projectId: string;
  let olga: { id: string; key: string };
  let ed: { id: string; key: string };
  let adminId: string;
  const requestIds: string[] = [];

  async function ok<T = Record<string, { id: string }>>(
    query: string,
    variables: Record<string, unknown>,
    options: { key?: string; requestId?: string } = {},
  ): Promise<T> {
    const res = await platform.gql<T>(query, variables, {
      key: options.key,
      headers: options.requestId ? { 'x-request-id': options.requestId } : {},
    });
    expect(res.body.errors, JSON.stringify(res.body.errors)).toBeUndefined();
    return res.body.data as T;
  }

  async function newUser(name: string) {
    const { createUser } = await ok(`mutation($e: String!, $n: String!) { createUser(input: { email: $e, name: $n }) { id } }`, {
      e: `${name}@lab.test`,
      n: name,
    });
    const data = await ok<{ createApiKey: { secret: string } }>(
      `mutation($u: ID!) { createApiKey(input: { name: "e2e", userId: $u, scopes: ["*"] }) { secret } }`,
      { u: createUser?.id },
    );
    return { id: createUser?.id as string, key: data.createApiKey.secret };
  }

  /** Every event of the project, newest first, page by page. */
  async function projectEvents(key?: string): Promise<{ total: number; nodes: AuditNode[] }> {
    const nodes: AuditNode[] = [];
    let after: string | null = null;
    let total = 0;
    for (;;) {
      const res: GraphQLResponse<{ auditLog: AuditPage }> = await platform.gql<{ auditLog: AuditPage }>(
        AUDIT_LOG,
        { filter: { projectId }, first: 10, after },
        { key },
      );
      expect(res.body.errors, JSON.stringify(res.body.errors)).toBeUndefined();
      const log: AuditPage | undefined = res.body.data?.auditLog;
      if (!log) throw new Error('no auditLog');
      total = log.totalCount;
      nodes.push(...log.edges.map((e) => e.node));
      if (!log.pageInfo.hasNextPage) return { total, nodes };
      after = log.pageInfo.endCursor;
    }
  }

  const pending = async () =>
    Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM audit_outbox WHERE shipped_at IS NULL')).rows[0]?.n);

  beforeAll(async () => {
    platform = await startTestPlatform();
    db = new pg.Client({ connectionString: platform.serviceEnv.DATABASE_URL });
    await db.connect();
    adminId = (await ok<{ me: { id: string } }>('{ me { id } }', {})).me.id;
    olga = await newUser('olga');
    ed = await newUser('ed');
  });
  afterAll(async () => {
    await db?.end();
    await platform?.stop();
  });

  it('records mutations through the gateway: who, what, which entity, the request id; admins and the project OWNER read them', async () => {
    projectId = (
      await ok(`mutation { createProject(input: { name: "audit-e2e" }) { id } }`, {}, { requestId: 'e2e-audit-project' })
    ).createProject?.id as string;
    requestIds.push('e2e-audit-project');
    const member = `mutation($p: ID!, $u: ID!, $r: ProjectRole!) { addProjectMember(projectId: $p, userId: $u, role: $r) { role } }`;
    await ok(member, { p: projectId, u: olga.id, r: 'OWNER' });
    await ok(member, { p: projectId, u: ed.id, r: 'EDITOR' });
    const exp = (
      await ok(
        `mutation($p: ID!) { createExperiment(input: { projectId: $p, name: "base" }) { id } }`,
        { p: projectId },
        { key: olga.key },
      )
    ).createExperiment?.id as string;
    await ok(
      `mutation($id: ID!) { updateExperiment(id: $id, input: { status: RUNNING }) { id } }`,
      { id: exp },
      { key: olga.key },
    );
    const run = (
      await ok(`mutation($e: ID!) { startRun(input: { experimentId: $e, name: "r" }) { id } }`, { e: exp }, { key: ed.key })
    ).startRun?.id as string;
    await ok(`mutation($id: ID!) { finishRun(id: $id, status: FAILED) { id } }`, { id: run }, { key: ed.key });

    const log = await eventually(async () => {
      const events = await projectEvents();
      expect(events.total).toBe(7);
      expect(events.nodes).toHaveLength(7); // the page and the count are two queries
      return events;
    });
    expect(log.nodes.map((n) => n.action).reverse()).toEqual([
      'project.create',
      'projectMember.add',
      'projectMember.add',
      'experiment.create',
      'experiment.update',
      'run.start',
      'run.finish',
    ]);
    const first = log.nodes.at(-1);
    expect(first).toMatchObject({ entityType: 'Project', entityId: projectId, actorId: adminId, actorKind: 'admin', projectId });
    expect(first?.requestId).toBe('e2e-audit-project');
    expect(log.nodes[0]).toMatchObject({ action: 'run.finish', entityId: run, actorId: ed.id, actorKind: 'user' });
    // The admin sees the users and keys made too (no project).
    const keys = await platform.gql<{ auditLog: { totalCount: number } }>(AUDIT_LOG, { filter: { action: 'apiKey.create' } });
    expect(keys.body.data?.auditLog.totalCount).toBe(2);
    // The OWNER reads the project's log; an EDITOR may not, nor anyone the whole log.
    expect((await projectEvents(olga.key)).total).toBe(7);
    const editor = await platform.gql(AUDIT_LOG, { filter: { projectId } }, { key: ed.key });
    expect(editor.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const whole = await platform.gql(AUDIT_LOG, {}, { key: olga.key });
    expect(whole.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(await pending()).toBe(0);
  });

  it('with metrics stopped, mutations succeed and their events wait in the outbox; after the restart all arrive, none doubled', async () => {
    await platform.services.metrics.stop();
    const made: string[] = [];
    for (let i = 0; i < DOWN_MUTATIONS; i++) {
      const res = await platform.gql<{ createExperiment: { id: string } }>(
        `mutation($p: ID!, $n: String!) { createExperiment(input: { projectId: $p, name: $n }) { id } }`,
        { p: projectId, n: `while-down-${i}` },
        { key: olga.key },
      );
      expect(res.body.errors).toBeUndefined();
      made.push(res.body.data?.createExperiment.id as string);
    }
    // The relay keeps trying (backoff) and keeps them: still waiting a few seconds later.
    expect(await pending()).toBe(DOWN_MUTATIONS);
    await new Promise((r) => setTimeout(r, 3_000));
    expect(await pending()).toBe(DOWN_MUTATIONS);

    await platform.services.metrics.start();
    await eventually(async () => expect(await pending()).toBe(0), 60_000, 500);
    const log = await eventually(async () => {
      const events = await projectEvents();
      expect(events.total).toBe(7 + DOWN_MUTATIONS);
      expect(events.nodes).toHaveLength(7 + DOWN_MUTATIONS);
      return events;
    });
    expect(new Set(log.nodes.map((n) => n.id)).size).toBe(7 + DOWN_MUTATIONS);
    const created = log.nodes.filter((n) => n.action === 'experiment.create').map((n) => n.entityId);
    for (const id of made) expect(created).toContain(id);

    // Counted in ClickHouse itself, every copy (no FINAL): each event once. The
    // embedded engine is one per data folder, so the metrics process goes first.
    await platform.services.metrics.stop();
    const clickhouse = await createClickHouse(platform.config);
    try {
      const result = await clickhouse.query({
        query: `SELECT count() AS rows, uniqExact(event_id) AS events
          FROM ${platform.config.clickhouse.database}.audit_log WHERE project_id = {p:String}`,
        query_params: { p: projectId },
        format: 'JSONEachRow',
      });
      const [counts] = await result.json<{ rows: string | number; events: string | number }>();
      expect({ rows: Number(counts?.rows), events: Number(counts?.events) }).toEqual({
        rows: 7 + DOWN_MUTATIONS,
        events: 7 + DOWN_MUTATIONS,
      });
    } finally {
      await clickhouse.close();
    }
    const outbox = await db.query<{ n: string }>('SELECT count(*) AS n FROM audit_outbox WHERE project_id = $1', [projectId]);
    expect(Number(outbox.rows[0]?.n)).toBe(7 + DOWN_MUTATIONS);
  });

  it('sets aside an event the metrics subgraph refuses as invalid, ships the ones behind it, and shows it on the registry health', async () => {
    if (!platform.services.metrics.running) await platform.services.metrics.start();
    const bad = randomUUID();
    await db.query(
      `INSERT INTO audit_outbox (id, actor_id, actor_kind, request_id, action, entity_type, entity_id, project_id, change_digest)
       VALUES ($1, 'registry', 'system', 'e2e', 'not a valid action!', 'Project', $2::text, $2::uuid, $3)`,
      [bad, projectId, '0'.repeat(64)],
    );
    const after = (
      await ok(`mutation($p: ID!) { createExperiment(input: { projectId: $p, name: "after-bad" }) { id } }`, { p: projectId })
    ).createExperiment?.id as string;
    await eventually(async () => {
      const row = (await db.query('SELECT quarantined_at, quarantine_reason FROM audit_outbox WHERE id = $1', [bad])).rows[0];
      expect(row?.quarantined_at).not.toBeNull();
      expect(row?.quarantine_reason).toMatch(/action/);
      expect((await projectEvents()).nodes.map((n) => n.entityId)).toContain(after);
    });
    const health = (await (await fetch(`${platform.services.registry.url}/health`)).json()) as {
      components: { postgresql: { details: { auditOutbox: Record<string, number>; operations: Record<string, number> } } };
    };
    expect(health.components.postgresql.details.auditOutbox).toMatchObject({ pending: 0, quarantined: 1 });
    expect(health.components.postgresql.details.operations).toMatchObject({ active: 0 });
  });
});
