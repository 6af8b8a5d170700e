/**
 * A subgraph that cannot be reached leaves holes in the answer; this says
 * where. Instead of one error without a path (what @apollo/gateway makes of a
 * failed fetch), the fetch answers one SERVICE_UNAVAILABLE error per field it
 * would have filled, each with its path in the subgraph operation
 * (`["metricsStatus"]`, or `["_entities", i, "metrics"]` for the i-th entity).
 * The gateway maps those paths onto the client's response as it does for any
 * subgraph error, so the client sees `path: ["run", "metrics"]` and
 * `extensions: { code: "SERVICE_UNAVAILABLE", service: "metrics" }` at each
 * missing field, beside the data the other subgraphs gave.
 */
import type { GraphQLRequest } from '@apollo/server';
import {
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLFormattedError,
  Kind,
  parse,
  type SelectionSetNode,
} from 'graphql';

/** Most errors one failed fetch turns into (a long entity list would otherwise make thousands). */
export const MAX_FIELD_ERRORS = 100;

function responseKeys(set: SelectionSetNode, fragments: Map<string, FragmentDefinitionNode>, out: Set<string>): Set<string> {
  for (const s of set.selections) {
    if (s.kind === Kind.FIELD) {
      if (s.name.value !== '__typename') out.add(s.alias?.value ?? s.name.value);
    } else if (s.kind === Kind.INLINE_FRAGMENT) {
      responseKeys(s.selectionSet, fragments, out);
    } else {
      const fragment = fragments.get(s.name.value);
      if (fragment) responseKeys(fragment.selectionSet, fragments, out);
    }
  }
  return out;
}

/** The subgraph-relative paths of the fields a fetch would have filled, at most `max`. */
export function fetchedPaths(
  document: DocumentNode,
  variables: GraphQLRequest['variables'],
  max = MAX_FIELD_ERRORS,
): (string | number)[][] {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const operation = document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION);
  const paths: (string | number)[][] = [];
  if (operation?.kind !== Kind.OPERATION_DEFINITION) return paths;
  for (const key of responseKeys(operation.selectionSet, fragments, new Set())) {
    const field = operation.selectionSet.selections.find(
      (s) => s.kind === Kind.FIELD && (s.alias?.value ?? s.name.value) === key,
    );
    if (field?.kind === Kind.FIELD && field.name.value === '_entities' && field.selectionSet) {
      const representations = variables?.representations;
      const count = Array.isArray(representations) ? representations.length : 0;
      const keys = [...responseKeys(field.selectionSet, fragments, new Set())];
      for (let i = 0; i < count && paths.length < max; i++) {
        for (const k of keys) if (paths.length < max) paths.push([key, i, k]);
      }
    } else if (paths.length < max) {
      paths.push([key]);
    }
  }
  return paths;
}

/**
 * The answer of a fetch that failed with `error` (SERVICE_UNAVAILABLE): one
 * copy of the error per field, with its path; undefined when the operation
 * names no field (then the error is thrown as it is). The operation is the
 * subgraph request's text (the planner keeps no document unless asked), parsed
 * only here, on the failure path.
 */
export function unavailableAnswer(
  error: { message: string; extensions?: Record<string, unknown> },
  operation: DocumentNode | string | undefined,
  variables: GraphQLRequest['variables'],
): { errors: GraphQLFormattedError[] } | undefined {
  if (!operation) return undefined;
  let document: DocumentNode;
  try {
    document = typeof operation === 'string' ? parse(operation) : operation;
  } catch {
    return undefined;
  }
  const paths = fetchedPaths(document, variables);
  if (paths.length === 0) return undefined;
  return { errors: paths.map((path) => ({ message: error.message, path, extensions: { ...error.extensions } })) };
}
