/**
 * POST /internal/audit and Query.auditLog against chdb: the registry relay's
 * batches land in audit_log once however often they are sent; only the
 * registry service, signed for the route, may send them; a bad batch is
 * refused whole. auditLog pages newest first for admins, and for a project's
 * OWNERs over that project only.
 */
import { randomUUID } from 'node:crypto';
import {
  AUDIT_PATH,
  AUDIT_SIGNED_DOCUMENT,
  type AuditEvent,
  auditBatchId,
  type Caller,
  CONTEXT_HEADER,
  changeDigest,
  signContext,
} from '@lab/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMetrics, type TestMetrics } from '../testing/testMetrics';

const REGISTRY: Caller = { id: 'registry', kind: 'service', scopes: ['*'] };
const ADMIN: Caller = { id: '00000000-0000-4000-8000-000000000001', kind: 'admin', scopes: ['*'] };
let t: TestMetrics;
let projectId: string;
let owner: Caller;

beforeAll(async () => {
  t = await startTestMetrics('audit');
  const [row] = await t.prisma.projectMember.findMany({ where: { userId: t.editor.id } });
  projectId = row?.projectId as string;
  const o = await t.prisma.user.create({ data: { email: 'owner@lab.test', name: 'owner' } });
  await t.prisma.projectMember.create({ data: { projectId, userId: o.id, role: 'OWNER' } });
  owner = { id: o.id, kind: 'user', scopes: ['*'] };
});
afterAll(async () => {
  await t?.stop();
});

let clock = Date.now() - 60_000;
function event(overrides: Partial<AuditEvent> = {}): AuditEvent {
  const summary = { name: `exp-${randomUUID().slice(0, 8)}` };
  return {
    id: randomUUID(),
    occurredAtMs: clock++,
    actorId: t.editor.id,
    actorKind: 'user',
    requestId: randomUUID(),
    action: 'experiment.create',
    entityType: 'Experiment',
    entityId: randomUUID(),
    projectId,
    changeDigest: changeDigest(summary),
    summary,
    ...overrides,
  };
}

const batchOf = (events: AuditEvent[]) => ({ batchId: auditBatchId(events.map((e) => e.id)), events });

async function send(body: unknown, caller: Caller = REGISTRY, document = AUDIT_SIGNED_DOCUMENT) {
  const res = await fetch(`${t.metrics.url}${AUDIT_PATH}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      [CONTEXT_HEADER]: signContext(t.secret, { requestId: randomUUID(), caller, query: document }),
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const AUDIT_LOG = `query($filter: AuditLogFilter, $first: Int, $after: String) {
  auditLog(filter: $filter, first: $first, after: $after) {
    totalCount
    edges { cursor node { id occurredAt actorId actorKind requestId action entityType entityId projectId changeDigest summary } }
    pageInfo { hasNextPage hasPreviousPage endCursor }
  }
}`;

describe('POST /internal/audit', () => {
  it('stores a batch in audit_log, every column', async () => {
    const a = event();
    const b = event({ action: 'apiKey.create', entityType: 'ApiKey', projectId: '', actorKind: 'admin', actorId: ADMIN.id });
    const res = await send(batchOf([a, b]));
    expect(res).toEqual({ status: 200, body: { received: 2, stored: 2 } });
    const page = await t.gql(ADMIN, AUDIT_LOG, { filter: { entityId: a.entityId } });
    expect(page.errors).toBeUndefined();
    expect(page.data.auditLog.edges[0].node).toEqual({
      id: a.id,
      occurredAt: new Date(a.occurredAtMs).toISOString(),
      actorId: a.actorId,
      actorKind: 'user',
      requestId: a.requestId,
      action: 'experiment.create',
      entityType: 'Experiment',
      entityId: a.entityId,
      projectId,
      changeDigest: a.changeDigest,
      summary: a.summary,
    });
    const other = await t.gql(ADMIN, AUDIT_LOG, { filter: { entityId: b.entityId } });
    expect(other.data.auditLog.edges[0].node).toMatchObject({ projectId: null, actorKind: 'admin', action: 'apiKey.create' });
  });

  it('stores a batch once however often it is sent, and an event once in another batch', async () => {
    const events = [event(), event(), event()];
    const ids = events.map((e) => e.id);
    expect((await send(batchOf(events))).body).toEqual({ received: 3, stored: 3 });
    expect((await send(batchOf(events))).body).toEqual({ received: 3, stored: 0 });
    // The relay re-forms a batch (one event more) after a lost answer: the old ones are not stored again.
    const more = [...events, event()];
    expect((await send(batchOf(more))).body).toEqual({ received: 4, stored: 1 });
    expect(await t.metrics.store.audit.rawCopies([...ids, more[3]?.id as string])).toBe(4);
    // Sent concurrently: the insert_deduplication_token (the batch id) keeps one copy.
    const twins = [event(), event()];
    await Promise.all([send(batchOf(twins)), send(batchOf(twins)), send(batchOf(twins))]);
    expect(await t.metrics.store.audit.rawCopies(twins.map((e) => e.id))).toBe(2);
  });

  it('refuses callers other than the registry service, contexts signed for another route, and bad signatures', async () => {
    const e = event();
    const body = batchOf([e]);
    expect((await send(body, t.editor)).status).toBe(401);
    expect((await send(body, { id: 'gateway', kind: 'service', scopes: ['*'] })).status).toBe(401);
    expect((await send(body, REGISTRY, 'POST /internal/api-usage')).status).toBe(401);
    const forged = await fetch(`${t.metrics.url}${AUDIT_PATH}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [CONTEXT_HEADER]: signContext('x'.repeat(64), {
          requestId: randomUUID(),
          caller: REGISTRY,
          query: AUDIT_SIGNED_DOCUMENT,
        }),
      },
      body: JSON.stringify(body),
    });
    expect(forged.status).toBe(401);
    const unsigned = await fetch(`${t.metrics.url}${AUDIT_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(unsigned.status).toBe(401);
    expect(await t.metrics.store.audit.rawCopies([e.id])).toBe(0);
  });

  it('refuses a batch with a bad event whole, naming it, and a batch id that is not the hash of its ids', async () => {
    const good = event();
    const res = await send(batchOf([good, event({ changeDigest: 'nope' }), event({ projectId: 'x' })]));
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({
      code: 'BAD_USER_INPUT',
      errorCount: 2,
      errors: [
        { index: 1, reason: 'changeDigest must be 64 hex digits' },
        { index: 2, reason: 'projectId must be a UUID or empty' },
      ],
    });
    expect((await send({ batchId: 'made-up', events: [good] })).status).toBe(400);
    expect((await send('{"events":')).status).toBe(400);
    expect((await send({ batchId: 'x', events: [] })).status).toBe(400);
    expect(await t.metrics.store.audit.rawCopies([good.id])).toBe(0);
  });
});

describe('Query.auditLog', () => {
  it('pages newest first with keyset cursors and filters; admins see all, OWNERs their project, others nothing', async () => {
    const entityId = randomUUID();
    const events = Array.from({ length: 5 }, (_, i) =>
      event({ entityId, action: i % 2 ? 'experiment.update' : 'experiment.create' }),
    );
    await send(batchOf(events));
    const first = await t.gql(ADMIN, AUDIT_LOG, { filter: { entityId }, first: 2 });
    expect(first.data.auditLog.totalCount).toBe(5);
    expect(first.data.auditLog.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    const ids: string[] = first.data.auditLog.edges.map((e: { node: { id: string } }) => e.node.id);
    let after = first.data.auditLog.pageInfo.endCursor;
    for (;;) {
      const page = await t.gql(ADMIN, AUDIT_LOG, { filter: { entityId }, first: 2, after });
      ids.push(...page.data.auditLog.edges.map((e: { node: { id: string } }) => e.node.id));
      if (!page.data.auditLog.pageInfo.hasNextPage) break;
      after = page.data.auditLog.pageInfo.endCursor;
    }
    expect(ids).toEqual(events.map((e) => e.id).reverse());
    const updates = await t.gql(ADMIN, AUDIT_LOG, { filter: { entityId, action: 'experiment.update' } });
    expect(updates.data.auditLog.totalCount).toBe(2);
    const window = await t.gql(ADMIN, AUDIT_LOG, {
      filter: {
        entityId,
        from: new Date(events[1]?.occurredAtMs as number).toISOString(),
        to: new Date(events[3]?.occurredAtMs as number).toISOString(),
      },
    });
    expect(window.data.auditLog.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual([events[2]?.id, events[1]?.id]);

    // An OWNER of the project: its events, with filter.projectId.
    const mine = await t.gql(owner, AUDIT_LOG, { filter: { projectId, entityId } });
    expect(mine.errors).toBeUndefined();
    expect(mine.data.auditLog.totalCount).toBe(5);
    // An EDITOR is not an OWNER; nobody but admins reads the whole log.
    const editor = await t.gql(t.editor, AUDIT_LOG, { filter: { projectId } });
    expect(editor.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const whole = await t.gql(owner, AUDIT_LOG, {});
    expect(whole.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const bad = await t.gql(ADMIN, AUDIT_LOG, { after: 'nonsense' });
    expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});
