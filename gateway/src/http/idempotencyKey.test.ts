/** The Idempotency-Key header, and which subgraph operations are mutations that carry it. */
import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { isMutation } from '../execution/signedDataSource';
import { idempotencyKeyOf } from './idempotencyKey';

describe('idempotencyKeyOf', () => {
  it('takes 1 to 128 printable ASCII characters', () => {
    expect(idempotencyKeyOf({})).toBeUndefined();
    expect(idempotencyKeyOf({ 'idempotency-key': 'create-exp-1' })).toBe('create-exp-1');
    expect(idempotencyKeyOf({ 'idempotency-key': 'k'.repeat(128) })).toBe('k'.repeat(128));
  });

  it.each([[''], ['k'.repeat(129)], ['has space'], ['é']])('refuses %j as BAD_USER_INPUT (400)', (key) => {
    try {
      idempotencyKeyOf({ 'idempotency-key': key });
      expect.unreachable();
    } catch (err) {
      expect((err as { extensions: Record<string, unknown> }).extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        http: { status: 400 },
      });
    }
  });
});

describe('isMutation', () => {
  it('tells a subgraph mutation from the entity fetches of its plan', () => {
    const mutation = 'mutation($a:String!){createExperiment(input:{name:$a}){id}}';
    const entities = 'query($representations:[_Any!]!){_entities(representations:$representations){__typename}}';
    expect(isMutation(parse(mutation), mutation)).toBe(true);
    expect(isMutation(parse(entities), entities)).toBe(false);
    expect(isMutation(undefined, mutation)).toBe(true);
    expect(isMutation(undefined, entities)).toBe(false);
  });
});
