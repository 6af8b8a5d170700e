/** The signed client: signing for the document, no answer as ServiceUnreachableError. */
import { describe, expect, it } from 'vitest';
import { type Caller, CONTEXT_HEADER, verifyContext } from '../callerContext';
import { createServiceClient, ServiceUnreachableError, serviceUnavailable } from './serviceClient';

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
  it('sends one GraphQL operation signed for its document, and answers its parsed body', async () => {
    const { seen, fetchFn } = recordingFetch(({ variables }) => ({ data: { run: { id: variables.id } } }));
    const client = createServiceClient({ internalSecret: SECRET, fetch: fetchFn });
    const query = 'query Run($id: ID!) { run(id: $id) { id } }';
    const answer = await client.graphql('http://registry/graphql', query, { id: 'r-7' }, { caller: CALLER, requestId: 'r-1' });
    expect(seen).toHaveLength(1);
    expect(answer).toEqual({ status: 200, body: { data: { run: { id: 'r-7' } } } });
    const verdict = verifyContext(SECRET, seen[0]?.headers[CONTEXT_HEADER], query);
    expect(verdict.ok && verdict.context.caller.id).toBe('metrics');
    expect(verifyContext(SECRET, seen[0]?.headers[CONTEXT_HEADER], 'query Other { x }').ok).toBe(false);
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
