/**
 * Input values: the nesting and non-finite numbers of JSON values, walked
 * without recursion, and of a document's literals.
 */
import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { documentValues, jsonValueShape } from './inputValues';

describe('jsonValueShape', () => {
  it('measures nesting: a scalar 0, an empty object or list 1', () => {
    expect(jsonValueShape(7)).toEqual({ nesting: 0, nonFiniteNumber: false });
    expect(jsonValueShape({})).toEqual({ nesting: 1, nonFiniteNumber: false });
    expect(jsonValueShape({ a: [1, { b: null }] })).toEqual({ nesting: 3, nonFiniteNumber: false });
  });

  it('walks a value nested a hundred thousand levels without exhausting the stack', () => {
    const text = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    expect(jsonValueShape(JSON.parse(text)).nesting).toBe(100_000);
  });

  it('finds a number JSON parsed to Infinity', () => {
    expect(jsonValueShape(JSON.parse('{ "a": [1, -1e309] }')).nonFiniteNumber).toBe(true);
  });
});

describe('documentValues', () => {
  it('measures the nesting of literals and finds numbers a double cannot hold', () => {
    expect(documentValues(parse('{ f(a: 1, b: [{ c: [2] }]) }'))).toEqual({ nesting: 3, outOfRange: undefined });
    expect(documentValues(parse('query($v: Float = 1e309) { f(a: 2.5) }')).outOfRange).toBe('1e309');
  });
});
