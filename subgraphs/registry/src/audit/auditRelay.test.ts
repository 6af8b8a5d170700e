/** The audit relay against a fake outbox and a fake metrics route: what it sends, and that a failed send keeps the events. */
import {
  AUDIT_SIGNED_DOCUMENT,
  type AuditBatch,
  type AuditEvent,
  auditBatchId,
  CONTEXT_HEADER,
  createLogger,
  verifyContext,
} from '@lab/shared';
import { describe, expect, it } from 'vitest';
import type { OutboxStore, SendVerdict } from '../store/outboxStore';
import { AuditRelay } from './auditRelay';

const SECRET = 's'.repeat(32);
const log = createLogger('relay-test', { logLevel: 'silent', logFormat: 'json' });

function event(i: number): AuditEvent {
  return {
    id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    occurredAtMs: 1_700_000_000_000 + i,
    actorId: 'u',
    actorKind: 'user',
    requestId: `r${i}`,
    action: 'experiment.create',
    entityType: 'Experiment',
    entityId: `e${i}`,
    projectId: '',
    changeDigest: '0'.repeat(64),
    summary: {},
  };
}

/** An outbox of `n` events: shipOldest marks what `send` accepted, as the real one does in its transaction. */
function fakeOutbox(n: number) {
  const waiting = Array.from({ length: n }, (_, i) => event(i));
  const quarantined: string[] = [];
  const store = {
    async shipOldest(limit: number, send: (events: AuditEvent[]) => Promise<SendVerdict | undefined>) {
      const batch = waiting.slice(0, limit);
      if (batch.length === 0) return { shipped: 0, quarantined: 0 };
      const verdict = await send(batch);
      if (verdict?.rejected.size) {
        for (const id of verdict.rejected.keys()) {
          waiting.splice(
            waiting.findIndex((e) => e.id === id),
            1,
          );
          quarantined.push(id);
        }
        return { shipped: 0, quarantined: verdict.rejected.size };
      }
      waiting.splice(0, batch.length);
      return { shipped: batch.length, quarantined: 0 };
    },
    async prune() {
      return 0;
    },
  };
  return { waiting, quarantined, store: store as unknown as OutboxStore };
}

function fakeMetrics(statuses: (number | { status: number; body: unknown })[]) {
  const received: { batch: AuditBatch; context: string | null }[] = [];
  const fetch = (async (_url: string, init: RequestInit) => {
    const headers = new Headers(init.headers);
    received.push({ batch: JSON.parse(String(init.body)) as AuditBatch, context: headers.get(CONTEXT_HEADER) });
    const next = statuses.shift() ?? 200;
    const { status, body } = typeof next === 'number' ? { status: next, body: {} } : next;
    return new Response(JSON.stringify(body), { status });
  }) as typeof globalThis.fetch;
  return { received, fetch };
}

describe('AuditRelay', () => {
  it('sends batches signed as the registry, with the hash of their event ids as batch id', async () => {
    const { waiting, store } = fakeOutbox(5);
    const metrics = fakeMetrics([]);
    const relay = new AuditRelay({
      store,
      url: 'http://m/internal/audit',
      internalSecret: SECRET,
      log,
      batchSize: 2,
      fetch: metrics.fetch,
    });
    expect(await relay.shipOnce()).toBe(2);
    const [first] = metrics.received;
    expect(first?.batch.batchId).toBe(auditBatchId(first?.batch.events.map((e) => e.id) ?? []));
    const verdict = verifyContext(SECRET, first?.context ?? undefined, AUDIT_SIGNED_DOCUMENT);
    expect(verdict.ok && verdict.context.caller).toEqual({ id: 'registry', kind: 'service', scopes: ['*'] });
    expect(waiting).toHaveLength(3);
  });

  it('keeps the events when the send fails (5xx, 400, unreachable) and sends the same batch id again', async () => {
    const { waiting, store } = fakeOutbox(3);
    const metrics = fakeMetrics([503, 400]);
    const relay = new AuditRelay({ store, url: 'http://m/internal/audit', internalSecret: SECRET, log, fetch: metrics.fetch });
    await expect(relay.shipOnce()).rejects.toThrow('HTTP 503');
    await expect(relay.shipOnce()).rejects.toThrow('HTTP 400');
    expect(waiting).toHaveLength(3);
    const unreachable = new AuditRelay({
      store,
      url: 'http://m/internal/audit',
      internalSecret: SECRET,
      log,
      fetch: (async () => {
        throw new TypeError('fetch failed');
      }) as typeof fetch,
    });
    await expect(unreachable.shipOnce()).rejects.toThrow('unreachable');
    expect(waiting).toHaveLength(3);
    expect(await relay.shipOnce()).toBe(3);
    expect(new Set(metrics.received.map((r) => r.batch.batchId)).size).toBe(1);
  });

  it('quarantines the events a 400 names as invalid and ships the others at once; a 400 naming none is retried', async () => {
    const { waiting, quarantined, store } = fakeOutbox(4);
    const metrics = fakeMetrics([
      {
        status: 400,
        body: {
          code: 'BAD_USER_INPUT',
          message: '1 of 4 events are invalid',
          errors: [{ index: 2, reason: 'action must be a name' }],
        },
      },
      { status: 400, body: { code: 'BAD_USER_INPUT', message: 'batchId must be auditBatchId of the event ids' } },
    ]);
    const relay = new AuditRelay({ store, url: 'http://m/internal/audit', internalSecret: SECRET, log, fetch: metrics.fetch });
    await expect(relay.shipOnce()).rejects.toThrow('HTTP 400');
    expect(quarantined).toEqual([event(2).id]);
    expect(await relay.shipOnce()).toBe(3);
    expect(waiting).toHaveLength(0);
    expect(relay.quarantined).toBe(1);
    expect(metrics.received.at(-1)?.batch.events.map((e) => e.id)).toEqual([0, 1, 3].map((i) => event(i).id));
  });

  it('polls on its own, retries after failures with backoff, and ships everything', async () => {
    const { waiting, store } = fakeOutbox(25);
    const metrics = fakeMetrics([503, 503]);
    const relay = new AuditRelay({
      store,
      url: 'http://m/internal/audit',
      internalSecret: SECRET,
      log,
      batchSize: 10,
      intervalMs: 5,
      retryDelayMs: 5,
      fetch: metrics.fetch,
    });
    relay.start();
    for (let i = 0; i < 200 && waiting.length > 0; i++) await new Promise((r) => setTimeout(r, 10));
    await relay.stop();
    expect(waiting).toHaveLength(0);
    expect(relay.shipped).toBe(25);
    expect(metrics.received.length).toBe(5); // two failed tries, then 10 + 10 + 5
  });
});
