/** The answers to failed authentications: which failure an error stands for, and how HTTP and WebSocket clients are told. */
import { ERROR_CODES, labHttpError } from '@lab/shared';
import type { Response } from 'express';
import { describe, expect, it } from 'vitest';
import { rateLimitedError } from '../protection/rateLimiter';
import { AUTH_FAILURE_ANSWERS, type AuthFailure, authFailureOf, closeWithAuthFailure, sendAuthFailure } from './authFailures';

/** What an express response was told. */
function response(headersSent = false) {
  const told = { status: 0, headers: {} as Record<string, string>, body: undefined as unknown, destroyed: false };
  const res = {
    headersSent,
    setHeader(name: string, value: string) {
      told.headers[name] = value;
      return res;
    },
    status(status: number) {
      told.status = status;
      return res;
    },
    json(body: unknown) {
      told.body = body;
      return res;
    },
    destroy() {
      told.destroyed = true;
    },
  };
  return { res: res as unknown as Response, told };
}

describe('authFailureOf', () => {
  it('reads the code, message and Retry-After of what an authenticator threw', () => {
    expect(authFailureOf(labHttpError('SERVICE_UNAVAILABLE', 'registry down'))).toEqual({
      kind: 'SERVICE_UNAVAILABLE',
      message: 'registry down',
    });
    expect(authFailureOf(rateLimitedError('slow down', 7))).toEqual({
      kind: 'RATE_LIMITED',
      message: 'slow down',
      retryAfter: 7,
    });
    expect(authFailureOf(labHttpError('UNAUTHENTICATED', 'Invalid API key'))).toMatchObject({ kind: 'UNAUTHENTICATED' });
  });

  it('takes any other error for UNAUTHENTICATED', () => {
    expect(authFailureOf(new Error('no idea'))).toEqual({ kind: 'UNAUTHENTICATED', message: 'no idea' });
    expect(authFailureOf(labHttpError('INTERNAL', 'odd'))).toMatchObject({ kind: 'UNAUTHENTICATED' });
  });
});

describe('the answers', () => {
  it("give HTTP the registered statuses, so Apollo's answer to a thrown error agrees", () => {
    for (const answer of Object.values(AUTH_FAILURE_ANSWERS)) expect(answer.status).toBe(ERROR_CODES[answer.code].httpStatus);
  });

  it('answer POST /v1/metrics with { code, message }, asking for a bearer credential when unauthenticated', () => {
    const { res, told } = response();
    sendAuthFailure(res, { kind: 'UNAUTHENTICATED', message: 'Invalid API key' }, 'ingest');
    expect(told).toMatchObject({
      status: 401,
      headers: { 'WWW-Authenticate': 'Bearer' },
      body: { code: 'UNAUTHENTICATED', message: 'Invalid API key' },
    });
  });

  it('answer /graphql with GraphQL errors, Retry-After when limited', () => {
    const { res, told } = response();
    sendAuthFailure(res, { kind: 'RATE_LIMITED', message: 'slow down', retryAfter: 3 }, 'graphql');
    expect(told).toEqual({
      status: 429,
      headers: { 'Retry-After': '3' },
      body: { errors: [{ message: 'slow down', extensions: { code: 'RATE_LIMITED', retryAfter: 3 } }] },
      destroyed: false,
    });
  });

  it('cut a response already under way', () => {
    const { res, told } = response(true);
    sendAuthFailure(res, { kind: 'FORBIDDEN', message: 'no' }, 'ingest');
    expect(told).toMatchObject({ destroyed: true, status: 0 });
  });

  it('close WebSockets: 4403 refused, 4429 limited, 1013 (retryable) when the credential cannot be checked', () => {
    const closes: [number, string][] = [];
    const socket = { close: (code: number, reason: string) => void closes.push([code, reason]) };
    const failures: AuthFailure[] = [
      { kind: 'UNAUTHENTICATED', message: 'Invalid API key' },
      { kind: 'FORBIDDEN', message: 'no' },
      { kind: 'RATE_LIMITED', message: 'slow down', retryAfter: 2 },
      { kind: 'EXPIRED_OR_REVOKED', message: 'Forbidden: the API key was revoked' },
      { kind: 'SERVICE_UNAVAILABLE', message: 'x'.repeat(200) },
    ];
    for (const failure of failures) closeWithAuthFailure(socket, failure);
    expect(closes).toEqual([
      [4403, 'Forbidden'],
      [4403, 'Forbidden'],
      [4429, 'slow down'],
      [4403, 'Forbidden: the API key was revoked'],
      [1013, 'x'.repeat(123)],
    ]);
  });
});
