/**
 * Finding a request's scope without AsyncLocalStorage: a context tied to its
 * request, and an error noted with its scope (as Apollo hands it to
 * formatError: itself, or wrapped when it is not a GraphQLError).
 */

import type { Response } from 'express';
import { GraphQLError } from 'graphql';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { noteErrorScope, type RequestScope, requestScopeOf, scopeOfError, tieToRequest } from './requestId';

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
