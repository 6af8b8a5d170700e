import { describe, expect, it } from 'vitest';
import { ERROR_CODES, maskError } from './errors';

describe('maskError', () => {
  it('lets registered codes through without stack traces', () => {
    const out = maskError({ message: 'no such run', extensions: { code: 'NOT_FOUND', stacktrace: ['at x'] } }, 'r1');
    expect(out).toEqual({ message: 'no such run', extensions: { code: 'NOT_FOUND' } });
  });

  it('answers invalid GraphQL as BAD_USER_INPUT', () => {
    const out = maskError({ message: 'Cannot query field', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }, 'r1');
    expect(out.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'GRAPHQL_VALIDATION_FAILED' });
  });

  it('masks anything else as INTERNAL with the request id', () => {
    let seen = '';
    const out = maskError(
      { message: 'password authentication failed for user "lab"', extensions: { code: 'INTERNAL_SERVER_ERROR' } },
      'r42',
      (e) => {
        seen = e.message;
      },
    );
    expect(out).toEqual({ message: 'Internal error (request id r42)', extensions: { code: 'INTERNAL', requestId: 'r42' } });
    expect(seen).toContain('password authentication');
  });

  it('documents every code with an HTTP status', () => {
    for (const [code, entry] of Object.entries(ERROR_CODES)) {
      expect(entry.description.length, code).toBeGreaterThan(10);
      expect(entry.httpStatus, code).toBeGreaterThanOrEqual(400);
    }
  });
});
