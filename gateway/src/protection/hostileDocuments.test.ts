/**
 * Generated hostile documents (hostileDocuments.fixture.ts) against a real
 * gateway in front of stand-in subgraphs: each is refused by the limit it
 * exceeds, quickly, before any subgraph is called, over HTTP and over the
 * WebSocket, while GET /health keeps answering; the check before validation
 * takes under 100 ms in process for each.
 */
import { getIntrospectionQuery } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SupergraphPlanning } from '../execution/supergraphPlanning';
import { type StandInGateway, startStandInGateway } from '../standInGateway.fixture';
import { hostileDocuments } from './hostileDocuments.fixture';
import { checkBeforeValidation } from './operationChecks';

let platform: StandInGateway;
const documents = hostileDocuments();

beforeAll(async () => {
  platform = await startStandInGateway();
});

afterAll(async () => {
  await platform?.close();
});

describe('hostile documents', () => {
  it('are each refused before validation in under 100 ms in process, naming the limit', () => {
    const schema = new SupergraphPlanning(platform.supergraphSdl).schema;
    checkBeforeValidation(schema, { query: '{ me { ...U } } fragment U on User { id }' }); // compiled once, outside the timing
    for (const { name, query, limit } of documents) {
      // The best of three: a neighbour on a shared machine can take the CPU away in the middle of one.
      const ms = Math.min(
        ...[1, 2, 3].map(() => {
          const started = performance.now();
          const refused = checkBeforeValidation(schema, { query });
          expect(refused?.extensions, name).toMatchObject({ code: 'BAD_USER_INPUT', limit });
          return performance.now() - started;
        }),
      );
      expect(ms, `${name}: ${ms.toFixed(1)} ms`).toBeLessThan(100);
    }
  });

  it('are each answered 400 BAD_USER_INPUT over HTTP, no subgraph called, while /health keeps answering', async () => {
    const health: number[] = [];
    let sending = true;
    const poll = (async () => {
      while (sending) {
        health.push((await fetch(`${platform.gateway.url}/health`)).status);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const callsBefore = platform.subgraphCalls();
    for (const { name, query, variables, limit } of documents) {
      const started = performance.now();
      const res = await platform.post({ query, variables });
      // A generous bound: the point is seconds or a crash before, milliseconds now.
      expect(performance.now() - started, name).toBeLessThan(2_000);
      expect(res.status, name).toBe(400);
      expect(res.errors?.[0]?.extensions, name).toMatchObject({ code: 'BAD_USER_INPUT', limit });
      expect(res.errors?.[0]?.message, name).toMatch(new RegExp(`^${limit} .* exceeds the limit of `));
    }
    sending = false;
    await poll;
    expect(platform.subgraphCalls()).toBe(callsBefore);
    expect(health.length).toBeGreaterThan(0);
    expect(health.every((status) => status === 200)).toBe(true);
  });

  it('are each refused over the WebSocket, subscriptions and queries alike', async () => {
    for (const { name, query, variables, limit } of documents) {
      const answer = await platform.overWebSocket(JSON.stringify({ query, variables }));
      expect(answer, name).toEqual({
        id: '1',
        type: 'next',
        payload: {
          errors: [expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', limit }) })],
        },
      });
    }
  });

  it("let GraphiQL's introspection query and an ordinary query through under the default limits", async () => {
    const introspection = await platform.post({
      query: getIntrospectionQuery({
        descriptions: true,
        inputValueDeprecation: true,
        schemaDescription: true,
        specifiedByUrl: true,
      }),
    });
    expect(introspection.errors).toBeUndefined();
    const ordinary = await platform.post({
      query:
        'query Page { me { ...U } users(first: 3) { totalCount edges { node { ...U friends(first: 2) { totalCount } } } } } fragment U on User { id name email }',
    });
    expect(ordinary.errors).toBeUndefined();
    expect(ordinary.data?.me).toEqual({ id: 'me', name: 'me', email: 'me@lab.test' });
  });
});
