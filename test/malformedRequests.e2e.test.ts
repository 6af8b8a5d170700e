/**
 * The gateway under malformed requests, through the whole platform: a few
 * hundred generated requests (support/malformedRequests.ts, fixed seed:
 * broken and hostile documents, variables, headers, bodies, content types,
 * methods). No answer is a 5xx other than 503 SERVICE_UNAVAILABLE, no error
 * is INTERNAL, every GraphQL error answer carries extensions.code, /health
 * keeps answering between them, and the gateway process is the same one at
 * the end (nothing crashed it into a restart). The same documents and
 * variables, and messages that are not graphql-transport-ws at all, go over
 * the WebSocket: each is answered with errors carrying a code, or the
 * socket is closed with a 44xx protocol code (1009 for a message over the
 * size limit), never 4500, 1011 or a dropped socket.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { malformedRequests, type RawRequest } from './support/malformedRequests';
import { getHealth, startTestPlatform, TEST_ADMIN_KEY, type TestPlatform } from './support/testPlatform';

const SEED = 0x12c0ffee;
const COUNT = 400;

interface RawAnswer {
  status: number;
  contentType: string;
  body: string;
}

function send(base: string, request: RawRequest): Promise<RawAnswer> {
  const url = new URL(request.path, base);
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: request.method,
        headers: { ...request.headers, ...(request.body ? { 'content-length': String(request.body.length) } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers['content-type'] ?? ''),
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(request.body);
  });
}

type SocketAnswer = { kind: 'message'; type: string; payload?: unknown } | { kind: 'close'; code: number };

/** Opens a graphql-transport-ws socket as the admin, sends `text` once acknowledged, answers the first reply to it. */
function overWebSocket(base: string, text: string): Promise<SocketAnswer> {
  const socket = new WebSocket(`${base.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no answer in 10 s')), 10_000);
    const done = (answer: SocketAnswer) => {
      clearTimeout(timer);
      socket.removeAllListeners();
      socket.on('error', () => undefined);
      socket.terminate();
      resolve(answer);
    };
    socket.on('error', reject);
    socket.on('close', (code) => done({ kind: 'close', code }));
    socket.on('open', () =>
      socket.send(JSON.stringify({ type: 'connection_init', payload: { Authorization: `Bearer ${TEST_ADMIN_KEY}` } })),
    );
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as { type: string; payload?: unknown };
      if (message.type === 'connection_ack') socket.send(text);
      else if (message.type !== 'ping' && message.type !== 'pong') done({ kind: 'message', ...message });
    });
  });
}

/** What is wrong with an answer, if anything. */
function problemWith(request: RawRequest, answer: RawAnswer): string | undefined {
  let errors: { extensions?: { code?: unknown } }[] | undefined;
  if (answer.contentType.includes('json') && answer.body) {
    try {
      errors = (JSON.parse(answer.body) as { errors?: { extensions?: { code?: unknown } }[] }).errors;
    } catch {
      return 'a JSON answer that does not parse';
    }
  }
  const codes = (errors ?? []).map((e) => e.extensions?.code);
  if (answer.status >= 500 && !(answer.status === 503 && codes.length > 0 && codes.every((c) => c === 'SERVICE_UNAVAILABLE'))) {
    return `HTTP ${answer.status}`;
  }
  if (codes.some((code) => typeof code !== 'string')) return 'an error without extensions.code';
  if (codes.includes('INTERNAL')) return 'an INTERNAL error';
  const graphqlAnswer = request.method !== 'HEAD' && request.method !== 'OPTIONS' && !answer.contentType.includes('html');
  if (answer.status >= 400 && graphqlAnswer && codes.length === 0) return `HTTP ${answer.status} without an error code`;
  return undefined;
}

describe('malformed requests', () => {
  let platform: TestPlatform;
  beforeAll(async () => {
    // Rate limits off: every request should reach the check it is meant for, not a 429.
    platform = await startTestPlatform({ env: { GATEWAY_RATE_LIMIT_PER_SECOND: '0', GATEWAY_AUTH_FAILURES_PER_SECOND: '0' } });
  });
  afterAll(async () => {
    await platform?.stop();
  });

  it(`answers ${COUNT} generated malformed requests without a 5xx or an INTERNAL error, the gateway never restarting`, async () => {
    const gatewayPid = platform.services.gateway.pid;
    expect(gatewayPid).toBeTypeOf('number');
    const requests = malformedRequests(SEED, COUNT, TEST_ADMIN_KEY);
    const statuses = new Map<number, number>();
    const problems: string[] = [];
    for (const [index, request] of requests.entries()) {
      const answer = await send(platform.gatewayUrl, request);
      statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      const problem = problemWith(request, answer);
      if (problem) problems.push(`#${index} ${problem}: ${request.label}\n  -> ${answer.status} ${answer.body.slice(0, 300)}`);
      if (index % 25 === 0) expect((await getHealth(platform)).status, `/health after request #${index}`).toBe(200);
    }
    expect(problems, problems.join('\n')).toEqual([]);
    expect(platform.services.gateway.pid).toBe(gatewayPid);
    expect(platform.services.gateway.running).toBe(true);
    expect((await getHealth(platform)).status).toBe(200);
    // The requests reached more than one kind of refusal (a generator that only makes 400s tests little).
    expect([...statuses.keys()].filter((s) => s >= 400).length, JSON.stringify([...statuses])).toBeGreaterThan(3);
  });

  it('answers malformed WebSocket messages with coded errors or protocol closes, the gateway never restarting', async () => {
    const gatewayPid = platform.services.gateway.pid;
    const payloads = malformedRequests(SEED + 1, 80, TEST_ADMIN_KEY)
      .filter((r) => r.method === 'POST' && r.body)
      .map((r) => `{"id":"1","type":"subscribe","payload":${new TextDecoder().decode(r.body)}}`);
    const junk = [
      'not json',
      '{}',
      '[]',
      '{"type":"subscribe"}',
      '{"id":"1","type":"subscribe","payload":null}',
      '{"id":1,"type":"next"}',
    ];
    const problems: string[] = [];
    for (const text of [...junk, ...payloads]) {
      const answer = await overWebSocket(platform.gatewayUrl, text);
      if (answer.kind === 'close') {
        // 44xx: graphql-transport-ws refusing the message; 1009: larger than the socket's message limit.
        if ((answer.code < 4400 || answer.code > 4499) && answer.code !== 1009)
          problems.push(`closed ${answer.code}: ${text.slice(0, 200)}`);
        continue;
      }
      // An `error` message carries the errors; a `next` message may (a refusal answered as a result).
      const errors =
        answer.type === 'error'
          ? (answer.payload as { extensions?: { code?: unknown } }[])
          : ((answer.payload as { errors?: { extensions?: { code?: unknown } }[] } | undefined)?.errors ?? []);
      const codes = errors.map((e) => e.extensions?.code);
      if (codes.some((c) => typeof c !== 'string' || c === 'INTERNAL'))
        problems.push(`${JSON.stringify(codes)}: ${text.slice(0, 200)}`);
    }
    expect(problems, problems.join('\n')).toEqual([]);
    expect(platform.services.gateway.pid).toBe(gatewayPid);
    expect((await getHealth(platform)).status).toBe(200);
  });
});
