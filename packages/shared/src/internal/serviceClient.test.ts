/** The signed client: signing for the document, aliased lookups in one request, no answer as ServiceUnreachableError. */
import { describe, expect, it } from 'vitest';
import { type Caller, CONTEXT_HEADER, verifyContext } from '../callerContext';
import { createServiceClient, lookupDocument, lookupIndexOf, ServiceUnreachableError, serviceUnavailable } from './serviceClient';

const SECRET = 'service-client-test-secret';
const CALLER: Caller = { id: 'metrics', kind: 'service', scopes: ['*'] };

function recordingFetch(answer: (body: { query: string; variables: Record<string, unknown> }) => unknown) {
  const seen: { headers: Record<string, string>; body: string }[] = [];
  const fetchFn = (async (_url: string, init: RequestInit) => {
    const body = String(init.body);
    seen.push({ headers: init.headers as Record<string, string>, body });
    return new Response(JSON.stringify(answer(JSON.parse(body))), { status: 200 });
  }) as unknown as typeof fetch;
  return { seen, fetchFn };
}

describe('createServiceClient', () => {
  it('sends several lookups as one aliased request, signed for its document', async () => {
    const { seen, fetchFn } = recordingFetch(({ variables }) => ({
      data: { a0: { experiment: { id: `e-${variables.v0}` } }, a1: null },
      errors: [{ message: 'run b not found', path: ['a1'], extensions: { code: 'NOT_FOUND' } }],
    }));
    const client = createServiceClient({ internalSecret: SECRET, fetch: fetchFn });
    const lookups = ['a', 'b'].map((id) => ({ field: 'run(id: $v) { experiment { id } }', type: 'ID!', value: id }));
    const answer = await client.lookups<{ experiment: { id: string } }>('http://registry/graphql', 'Runs', lookups, {
      caller: CALLER,
      requestId: 'r-1',
    });
    expect(seen).toHaveLength(1);
    expect(answer.answers).toEqual([{ experiment: { id: 'e-a' } }, null]);
    expect(answer.errors.map(lookupIndexOf)).toEqual([1]);
    const { query } = lookupDocument('Runs', lookups);
    expect(query).toBe(
      'query Runs($v0: ID!, $v1: ID!) { a0: run(id: $v0) { experiment { id } } a1: run(id: $v1) { experiment { id } } }',
    );
    const verdict = verifyContext(SECRET, seen[0]?.headers[CONTEXT_HEADER], query);
    expect(verdict.ok && verdict.context.caller.id).toBe('metrics');
  });

  it('answers no answer as ServiceUnreachableError, timed out or not', async () => {
    const refusing = (async () => {
      throw new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } });
    }) as unknown as typeof fetch;
    const client = createServiceClient({ internalSecret: SECRET, fetch: refusing });
    const failure = await client
      .post('http://metrics/internal/audit', {}, { caller: CALLER, requestId: 'r-2', document: 'POST /internal/audit' })
      .catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(ServiceUnreachableError);
    expect(failure).toMatchObject({ timedOut: false, networkCode: 'ECONNREFUSED' });

    const neverAnswering = ((_url: string, init: RequestInit) =>
      new Promise((_resolve, reject) => {
        init.signal?.addEventListener('abort', () => reject(init.signal?.reason));
      })) as unknown as typeof fetch;
    const slow = createServiceClient({ internalSecret: SECRET, timeoutMs: 20, fetch: neverAnswering });
    const silent = await slow
      .post('http://metrics/x', {}, { caller: CALLER, requestId: 'r-3', document: 'POST /x' })
      .catch((err: unknown) => err);
    expect(silent).toMatchObject({ timedOut: true });
  });

  it('words SERVICE_UNAVAILABLE for a client', () => {
    const error = serviceUnavailable('registry', 'look runs up in the registry', 'timed out');
    expect(error.message).toBe('Cannot look runs up in the registry: timed out');
    expect(error.extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', service: 'registry' });
  });
});
