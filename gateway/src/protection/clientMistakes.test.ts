/**
 * Client mistakes that Apollo Gateway would answer with 500 INTERNAL, answered
 * 400 BAD_USER_INPUT saying what is wrong, through a real gateway in front of
 * stand-in subgraphs: number literals a double cannot hold, a document whose
 * operation cannot be picked, a subscription over HTTP, variables and
 * extensions nested thousands of levels, a body not in the encoding it names,
 * a URL too long for Node's HTTP parser, a syntax error over the WebSocket.
 */

import { createHash } from 'node:crypto';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Answer, type StandInGateway, startStandInGateway } from '../standInGateway.fixture';

let platform: StandInGateway;

beforeAll(async () => {
  platform = await startStandInGateway();
});

afterAll(async () => {
  await platform?.close();
});

const deepObject = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;

async function get(params: Record<string, string>): Promise<Answer> {
  const response = await fetch(`${platform.gateway.url}/graphql?${new URLSearchParams(params)}`, {
    headers: { authorization: 'Bearer key-alice', 'apollo-require-preflight': 'true' },
  });
  return { status: response.status, headers: response.headers, ...((await response.json()) as object) };
}

function expectRefused(res: Answer, message: RegExp) {
  expect(res.status).toBe(400);
  expect(res.errors).toEqual([
    { message: expect.stringMatching(message), extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) },
  ]);
}

describe('number literals a double cannot hold', () => {
  it('refuses 1e309 as an argument, inside a JSON literal, as a variable default and in JSON variables', async () => {
    expectRefused(await platform.post({ query: '{ search(minScore: 1e309) { id } }' }), /^The number 1e309 is out of range/);
    expectRefused(
      await platform.post({ query: '{ search(filter: { x: [1e309] }) { id } }' }),
      /^The number 1e309 is out of range/,
    );
    expectRefused(await platform.post({ query: 'query($s: Float = 1e309) { search(minScore: $s) { id } }' }), /out of range/);
    expectRefused(
      await platform.post('{"query":"query($s: Float) { search(minScore: $s) { id } }","variables":{"s":1e309}}'),
      /^The variables hold a number too large for a 64-bit float/,
    );
    expect(platform.subgraphCalls()).toBe(0);
  });
});

describe('a document whose operation cannot be picked', () => {
  const TWO = 'query A { me { id } } query B { me { name } }';

  it('refuses several operations without operationName, and an unknown operationName, over POST and GET', async () => {
    expectRefused(await platform.post({ query: TWO }), /several operations: operationName must name the one to run/);
    expectRefused(await platform.post({ query: TWO, operationName: 'C' }), /^Unknown operation named "C"/);
    expectRefused(await get({ query: TWO }), /several operations/);
    expect((await platform.post({ query: TWO, operationName: 'B' })).data).toEqual({ me: { name: 'me' } });
  });

  it('refuses it also when the document comes from the persisted query cache', async () => {
    const query = 'query X { me { id } } query Y { me { email } }';
    const persistedQuery = { version: 1, sha256Hash: createHash('sha256').update(query).digest('hex') };
    expect((await platform.post({ query, operationName: 'X', extensions: { persistedQuery } })).data).toEqual({
      me: { id: 'me' },
    });
    expectRefused(await platform.post({ extensions: { persistedQuery } }), /several operations/);
    expectRefused(await platform.post({ operationName: 'Z', extensions: { persistedQuery } }), /^Unknown operation named "Z"/);
  });
});

describe('a subscription over the WebSocket without its variables', () => {
  it('is refused with BAD_USER_INPUT naming the variable, before it is planned', async () => {
    for (const variables of ['{}', '{"id":{"a":1}}']) {
      const answer = await platform.overWebSocket(
        `{"query":"subscription($id: ID!) { userChanged(id: $id) { id } }","variables":${variables}}`,
      );
      expect(answer).toEqual({
        id: '1',
        type: 'next',
        payload: {
          errors: [
            expect.objectContaining({
              message: expect.stringMatching(/^Variable "\$id"/),
              extensions: { code: 'BAD_USER_INPUT' },
            }),
          ],
        },
      });
    }
  });
});

describe('a subscription sent over HTTP', () => {
  it('is refused with 400 saying to use the WebSocket at /graphql (graphql-transport-ws)', async () => {
    const res = await platform.post({ query: 'subscription { userChanged { id } }' });
    expectRefused(
      res,
      /^Subscriptions are not served over HTTP: open a WebSocket to \/graphql with the graphql-transport-ws protocol/,
    );
  });
});

describe('values nested thousands of levels', () => {
  it('refuses deep variables and extensions over POST, before anything recurses over them', async () => {
    const variables = await platform.post(
      `{"query":"query($f: JSON) { search(filter: $f) { id } }","variables":{"f":${deepObject(5_000)}}}`,
    );
    expectRefused(variables, /^valueDepth 5,000 exceeds the limit of 32 in variables$/);
    expect(variables.errors?.[0]?.extensions).toMatchObject({ limit: 'valueDepth', actual: 5_000, max: 32 });
    const unused = await platform.post(
      `{"query":"{ me { id } }","variables":{"x":${`${'['.repeat(100_000)}${']'.repeat(100_000)}`}}}`,
    );
    expectRefused(unused, /^valueDepth 100,000 exceeds the limit of 32 in variables$/);
    const extensions = await platform.post(`{"query":"{ me { id } }","extensions":{"x":${deepObject(100_000)}}}`);
    expectRefused(extensions, /^valueDepth 100,000 exceeds the limit of 32 in extensions$/);
  });

  it('refuses them over GET', async () => {
    expectRefused(await get({ query: '{ me { id } }', variables: `{"x":${deepObject(1_000)}}` }), /^valueDepth 1,000 exceeds/);
  });

  it('passes JSON nested up to the limit through to the subgraph', async () => {
    const res = await platform.post(
      `{"query":"query($f: JSON) { search(filter: $f) { id } }","variables":{"f":${deepObject(32)}}}`,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data).toEqual({ search: [{ id: 'found' }] });
  });

  it('refuses them over the WebSocket', async () => {
    const answer = await platform.overWebSocket(
      `{"query":"query($f: JSON) { search(filter: $f) { id } }","variables":{"f":${deepObject(100_000)}}}`,
    );
    expect(answer).toEqual({
      id: '1',
      type: 'next',
      payload: {
        errors: [
          expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', limit: 'valueDepth' }) }),
        ],
      },
    });
  });
});

describe('requests refused before GraphQL', () => {
  it('answers a body that does not inflate as its Content-Encoding says with 400 BAD_USER_INPUT', async () => {
    const res = await platform.post({ query: '{ me { id } }' }, { headers: { 'content-encoding': 'gzip' } });
    expectRefused(res, /^Request body cannot be read/);
  });

  it("answers headers over Node's limit (a GET's URL) with 431 and a coded error", async () => {
    const url = new URL(`${platform.gateway.url}/graphql?query=${encodeURIComponent(`{ me { id } } #${'x'.repeat(20_000)}`)}`);
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      http
        .get(url, { headers: { authorization: 'Bearer key-alice' } }, (res) => {
          let body = '';
          res.on('data', (chunk) => {
            body += chunk;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        })
        .on('error', reject);
    });
    expect(answer.status).toBe(431);
    expect(JSON.parse(answer.body)).toEqual({
      errors: [{ message: expect.stringMatching(/^Request headers are too large/), extensions: { code: 'BAD_USER_INPUT' } }],
    });
  });

  it('answers a syntax error over the WebSocket with the error, not by closing the socket', async () => {
    const answer = await platform.overWebSocket(JSON.stringify({ query: '{ me { id }' }));
    expect(answer).toEqual({
      id: '1',
      type: 'next',
      payload: {
        errors: [
          expect.objectContaining({
            message: 'Syntax Error: Expected Name, found <EOF>.',
            extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }),
          }),
        ],
      },
    });
  });
});
