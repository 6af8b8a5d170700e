/**
 * countOverlaps: the comparisons graphql-js' OverlappingFieldsCanBeMerged may
 * make, counted over selection sets merged as execution merges them.
 */
import { type FragmentDefinitionNode, Kind, type OperationDefinitionNode, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { countOverlaps } from './operationOverlaps';

function overlaps(query: string, walkLimit = 100_000): number {
  const document = parse(query);
  const operation = document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION) as OperationDefinitionNode;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  return countOverlaps(operation, fragments, walkLimit);
}

describe('countOverlaps', () => {
  it('is 0 for fields of distinct response names', () => {
    expect(overlaps('{ me { id name } runs { totalCount } }')).toBe(0);
  });

  it('counts pairs of one response name, and again in their merged sub-selections', () => {
    expect(overlaps('{ me { id } me { id } me { id } }')).toBe(3 + 3);
    expect(overlaps('{ a: me { id } a: run { id } b: me { id } }')).toBe(1 + 1);
  });

  it('flattens inline fragments, and counts fragments spread side by side once each', () => {
    expect(overlaps('{ me { id ... on User { id } ... on User { id } } }')).toBe(3);
    // F and G: id twice (1 pair), the two fragments (1 pair), each fragment against the one name (2)
    expect(overlaps('{ me { ...F ...G ...F } } fragment F on User { id } fragment G on User { id }')).toBe(1 + 1 + 2);
  });

  it('stops at the walk limit (a fragment cycle, refused by validation, ends there)', () => {
    expect(overlaps('{ me { ...F } } fragment F on User { friends { ...F } }', 50)).toBeLessThan(100);
  });
});
