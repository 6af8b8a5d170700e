/** Loads each subgraph's typeDefs from its package (`@lab/<name>/schema`). */
import type { DocumentNode } from 'graphql';
import { SUBGRAPH_NAMES, type SubgraphName } from '../constants';
import type { SubgraphInput } from './compose';

function isDocument(value: unknown): value is DocumentNode {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'Document';
}

async function loadOne(name: SubgraphName): Promise<SubgraphInput> {
  const specifier = `@lab/${name}/schema`;
  let mod: { typeDefs?: unknown };
  try {
    mod = await import(specifier);
  } catch (err) {
    throw new Error(
      `cannot load ${specifier} (subgraphs/${name}/src/schema.ts, exported as "./schema"): ${err instanceof Error ? err.message : err}`,
    );
  }
  if (!isDocument(mod.typeDefs)) throw new Error(`${specifier} must export typeDefs, a parsed DocumentNode`);
  return { name, typeDefs: mod.typeDefs };
}

export function loadSubgraphs(): Promise<SubgraphInput[]> {
  return Promise.all(SUBGRAPH_NAMES.map(loadOne));
}
