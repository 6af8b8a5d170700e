/**
 * Finding a request's scope without AsyncLocalStorage: a context tied to its
 * request, and an error noted with its scope (as Apollo hands it to
 * formatError: itself, or wrapped when it is not a GraphQLError); the
 * request's child logger made only when something logs.
 */
import { listen } from '@lab/shared';
import express, { type Response } from 'express';
import { GraphQLError } from 'graphql';
import { type Logger, pino } from 'pino';
import { describe, expect, it } from 'vitest';
import {
  assignRequestId,
  logRequest,
  noteErrorScope,
  type RequestScope,
  requestScopeOf,
  scopeOfError,
  tieToRequest,
} from './requestId';

const scope: RequestScope = { requestId: 'req-1', log: pino({ level: 'silent' }) };

describe('request scopes', () => {
  it('finds the scope of a context tied to its request, and of the copy Apollo makes of it, and none for another', () => {
    const context = { caller: 'x' };
    tieToRequest(context, { locals: { scope } } as unknown as Response);
    expect(requestScopeOf(context)).toBe(scope);
    expect(requestScopeOf(Object.assign(Object.create(Object.getPrototypeOf(context)), context))).toBe(scope);
    expect(requestScopeOf({})).toBeUndefined();
  });

  it('finds the scope of a noted error, itself or wrapped by Apollo', () => {
    const thrown = new TypeError('boom');
    noteErrorScope(thrown, scope);
    expect(scopeOfError(thrown)).toBe(scope);
    expect(scopeOfError(new GraphQLError('Context creation failed: boom', { originalError: thrown }))).toBe(scope);
    expect(scopeOfError(new Error('other'))).toBeUndefined();
    expect(scopeOfError('not an object')).toBeUndefined();
  });
});

describe('request logs', () => {
  async function requestWith(level: string): Promise<{ lines: Record<string, unknown>[]; children: number }> {
    const lines: Record<string, unknown>[] = [];
    const log = pino({ level }, { write: (line: string) => lines.push(JSON.parse(line)) });
    let children = 0;
    const child = log.child.bind(log);
    log.child = ((bindings: Record<string, unknown>) => {
      children++;
      return child(bindings);
    }) as Logger['child'];
    const app = express();
    app.use(assignRequestId(log), logRequest);
    app.get('/x', (_req, res) => {
      res.send('ok');
    });
    const server = await listen(app, 0, '127.0.0.1');
    try {
      await (await fetch(`${server.url}/x`, { headers: { 'x-request-id': 'req-log-1' } })).text();
      await new Promise((r) => setTimeout(r, 20));
    } finally {
      await server.close();
    }
    return { lines, children };
  }

  it('writes one line per request with its id, and makes no child logger when the level writes nothing', async () => {
    const info = await requestWith('info');
    expect(info.lines).toMatchObject([{ requestId: 'req-log-1', method: 'GET', path: '/x', status: 200, msg: 'request' }]);
    expect(info.children).toBe(1);
    const warn = await requestWith('warn');
    expect(warn).toEqual({ lines: [], children: 0 });
  });
});
