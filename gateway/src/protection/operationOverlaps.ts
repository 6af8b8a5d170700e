/**
 * An upper bound of the comparisons graphql-js' OverlappingFieldsCanBeMerged
 * validation makes, counted before it runs. That rule compares, in each
 * selection set as execution merges it (inline fragments and spreads
 * flattened, fields of one response name merged with their sub-selections),
 * every pair of fields sharing a response name, every pair of fragments
 * spread side by side, and each fragment with the set's fields: quadratic, so
 * `{ me { id } me { id } ... }` a thousand times, or a few hundred fragments
 * spread together, cost it half a second of CPU while every other limit holds.
 *
 * Counted over the operation with each fragment expanded once per merged
 * selection set (as graphql-js and execution do), walking at most `walkLimit`
 * selections: call it once the `fields` limit has held, so the walk is bounded
 * by the document's expanded size (a fragment cycle, refused by validation,
 * ends at the walk limit).
 */
import { type FragmentDefinitionNode, Kind, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';

const pairs = (n: number) => (n * (n - 1)) / 2;

/** Pairs of fields of one response name, pairs of fragments, and fragment × field-name comparisons. */
export function countOverlaps(
  operation: OperationDefinitionNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  walkLimit: number,
): number {
  let total = 0;
  let walked = 0;
  /** Merged selection sets still to count: the sub-selections of fields sharing one response name. */
  const groups: SelectionSetNode[][] = [[operation.selectionSet]];
  for (let group = groups.pop(); group && walked <= walkLimit; group = groups.pop()) {
    const byName = new Map<string, { count: number; subsets: SelectionSetNode[] }>();
    const spread = new Set<string>();
    const pending = [...group];
    for (let set = pending.pop(); set && walked <= walkLimit; set = pending.pop()) {
      for (const selection of set.selections) {
        walked++;
        if (selection.kind === Kind.FIELD) {
          const name = selection.alias?.value ?? selection.name.value;
          const entry = byName.get(name) ?? { count: 0, subsets: [] };
          entry.count++;
          if (selection.selectionSet) entry.subsets.push(selection.selectionSet);
          byName.set(name, entry);
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          pending.push(selection.selectionSet);
        } else if (!spread.has(selection.name.value)) {
          spread.add(selection.name.value);
          const fragment = fragments.get(selection.name.value);
          if (fragment) pending.push(fragment.selectionSet);
        }
      }
    }
    for (const { count, subsets } of byName.values()) {
      total += pairs(count);
      if (subsets.length > 0) groups.push(subsets);
    }
    total += pairs(spread.size) + spread.size * byName.size;
  }
  return total;
}
