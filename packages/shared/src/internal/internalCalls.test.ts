/**
 * What a failed internal call tells a client: against a real HTTP server and a
 * closed port, the public message names the service and what failed, and
 * never the address, the route or the driver's message (those stay in the
 * message, for the log).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { GraphQLError } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labError } from '../errors';
import { mentionsInternals, publicReason } from '../publicErrors';
import { ARTIFACTS_INTERNAL, METRICS_INTERNAL } from './internalApi';
import { callInternal, InternalCallError, type InternalCallOptions } from './internalCalls';

const OPTIONS: InternalCallOptions = {
  internalSecret: 'test-secret-0123456789abcdef0123',
  caller: { id: 'registry', kind: 'service', scopes: ['*'] },
  requestId: 'r1',
};

/** Answers each route with the status and body the test set for it. */
const answers = new Map<string, { status: number; body: unknown }>();
let server: http.Server;
let baseUrl: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    req.resume();
    const answer = answers.get(req.url ?? '') ?? { status: 404, body: { code: 'NOT_FOUND', message: 'no route' } };
    res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

async function failure(url: string, path: string): Promise<InternalCallError> {
  const err = await callInternal(url, path, {}, OPTIONS).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(InternalCallError);
  return err as InternalCallError;
}

/** Nothing of the address, the port or the route. */
function expectPlatformWords(text: string, port: string): void {
  for (const leak of ['127.0.0.1', 'localhost', 'http://', '/internal/', port]) expect(text).not.toContain(leak);
  expect(mentionsInternals(text)).toBe(false);
}

describe('callInternal failures', () => {
  it('a service that is not running: unavailable, transient, the address only in the message', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = String((closed.address() as AddressInfo).port);
    await new Promise((resolve) => closed.close(resolve));
    const err = await failure(`http://127.0.0.1:${port}`, ARTIFACTS_INTERNAL.copy);
    expect(err).toMatchObject({ code: 'SERVICE_UNAVAILABLE', transient: true, service: 'artifacts' });
    expect(err.publicMessage).toBe('the artifacts service is unavailable');
    expect(err.message).toContain(`127.0.0.1:${port}`);
    expect(err.message).toContain('/internal/files/copy');
    expectPlatformWords(err.publicMessage, port);
  });

  it('a 503 whose message carries its store address: what is unavailable, without the message', async () => {
    answers.set(METRICS_INTERNAL.delete, {
      status: 503,
      body: { code: 'SERVICE_UNAVAILABLE', message: 'connect ECONNREFUSED 127.0.0.1:8123 (http://127.0.0.1:8123/?query=...)' },
    });
    const err = await failure(baseUrl, METRICS_INTERNAL.delete);
    expect(err).toMatchObject({ code: 'SERVICE_UNAVAILABLE', transient: true, status: 503, service: 'metrics' });
    expect(err.publicMessage).toBe('the metrics service cannot do it now (its store or a service it depends on is unavailable)');
    expect(err.message).toContain('ECONNREFUSED');
    expectPlatformWords(err.publicMessage, '8123');
  });

  it("a refusal keeps the route's reason when it shows nothing internal, and drops it otherwise", async () => {
    answers.set(ARTIFACTS_INTERNAL.copy, {
      status: 400,
      body: { code: 'BAD_USER_INPUT', message: 'names[0] is refused: name "../x" is not allowed: it has a "." or ".." segment' },
    });
    const refused = await failure(baseUrl, ARTIFACTS_INTERNAL.copy);
    expect(refused).toMatchObject({ code: 'BAD_USER_INPUT', transient: false, status: 400 });
    expect(refused.publicMessage).toBe(
      'the artifacts service refused the request: names[0] is refused: name "../x" is not allowed: it has a "." or ".." segment',
    );
    answers.set(ARTIFACTS_INTERNAL.inspect, {
      status: 404,
      body: { code: 'NOT_FOUND', message: 'no bucket at http://10.0.0.7:9000/lab' },
    });
    const hidden = await failure(baseUrl, ARTIFACTS_INTERNAL.inspect);
    expect(hidden.publicMessage).toBe('the artifacts service refused the request');
  });
});

describe('publicReason', () => {
  it("answers public messages and coded GraphQL errors, and the fallback for a driver's message or an address", () => {
    const fallback = 'an unexpected failure';
    expect(publicReason(new InternalCallError('detail', 'SERVICE_UNAVAILABLE', true, { service: 'metrics' }), fallback)).toBe(
      'the metrics service is unavailable',
    );
    expect(publicReason(labError('NOT_FOUND', 'run 1 not found'), fallback)).toBe('run 1 not found');
    expect(publicReason(new GraphQLError('uncoded'), fallback)).toBe(fallback);
    expect(publicReason(new Error("Can't reach database server at `127.0.0.1:5432`"), fallback)).toBe(fallback);
    expect(publicReason(labError('CONFLICT', 'see http://registry:4001/graphql'), fallback)).toBe(fallback);
    expect(publicReason('a string', fallback)).toBe(fallback);
  });

  it('tells addresses, routes and stacks from ordinary texts', () => {
    for (const leak of [
      'http://127.0.0.1:4003/internal/files/copy',
      'registry:4001 refused',
      'connect ECONNREFUSED ::1',
      'at [::1]:8080',
      'POST /internal/metrics/delete failed',
      'Error: boom\n    at run (/srv/lab/x.ts:1:1)',
      'localhost refused',
    ])
      expect(mentionsInternals(leak), leak).toBe(true);
    for (const fine of [
      'the artifacts service is unavailable',
      'copyFiles: the artifacts service refused the request: names[0] is refused',
      `the files' checksum is sha256:${'ab12'.repeat(16)}; the version declared sha256:${'0'.repeat(64)}`,
      'run 0b7f0a4e-3f5d-4c0e-9a40-2f7d8c1e5b6a was deleted before the version was created',
      'timestamp 2026-11-25T10:00:00Z is older than 1 year',
    ])
      expect(mentionsInternals(fine), fine).toBe(false);
  });
});
