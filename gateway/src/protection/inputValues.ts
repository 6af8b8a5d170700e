/**
 * Input values a client sends, checked before anything walks them
 * recursively (graphql-js' coercion, the query planner, JSON.stringify toward
 * a subgraph, PostgreSQL's jsonb): how deeply they nest, and numbers a double
 * cannot hold. JSON variables and extensions are measured iteratively, so a
 * value nested a hundred thousand levels costs a loop, not the stack; number
 * literals of the document (`1e309` parses to Infinity) are found in one
 * pass over it.
 */
import { type DocumentNode, Kind, visit } from 'graphql';

export interface JsonValueShape {
  /** How deeply it nests: a scalar 0, `{}` and `[]` 1, `{ "a": [1] }` 2. */
  nesting: number;
  /** Whether it holds a number that is not finite (`1e309` in JSON parses to Infinity). */
  nonFiniteNumber: boolean;
}

/** The nesting and non-finite numbers of a parsed JSON value, in one iterative walk. */
export function jsonValueShape(value: unknown): JsonValueShape {
  const shape: JsonValueShape = { nesting: 0, nonFiniteNumber: false };
  const stack: [unknown, number][] = [[value, 0]];
  for (let item = stack.pop(); item; item = stack.pop()) {
    const [current, depth] = item;
    if (typeof current === 'number' && !Number.isFinite(current)) shape.nonFiniteNumber = true;
    if (current === null || typeof current !== 'object') continue;
    shape.nesting = Math.max(shape.nesting, depth + 1);
    for (const child of Array.isArray(current) ? current : Object.values(current)) stack.push([child, depth + 1]);
  }
  return shape;
}

export interface DocumentValues {
  /** Deepest nesting of a list or object literal (`{ a: [1] }` is 2). */
  nesting: number;
  /** The first number literal a double cannot hold (`1e309`, a 400-digit integer), as written. */
  outOfRange: string | undefined;
}

/** The nesting and out-of-range numbers of the document's literals. graphql-js' visit is iterative. */
export function documentValues(document: DocumentNode): DocumentValues {
  let depth = 0;
  const found: DocumentValues = { nesting: 0, outOfRange: undefined };
  const enter = () => {
    depth++;
    found.nesting = Math.max(found.nesting, depth);
  };
  const leave = () => {
    depth--;
  };
  const number = (node: { value: string }) => {
    if (found.outOfRange === undefined && !Number.isFinite(Number(node.value))) found.outOfRange = node.value;
  };
  visit(document, {
    [Kind.LIST]: { enter, leave },
    [Kind.OBJECT]: { enter, leave },
    [Kind.INT]: number,
    [Kind.FLOAT]: number,
  });
  return found;
}
