/**
 * Composes the subgraphs' SDL into the supergraph. Pure: typeDefs in, SDL,
 * errors and hints out; reading packages and writing files is elsewhere.
 */
import { composeServices } from '@apollo/composition';
import { type DocumentNode, print } from 'graphql';
import type { SubgraphName } from '../constants';
import { type HintReport, reportHint } from './hints';

export interface SubgraphInput {
  name: SubgraphName;
  typeDefs: DocumentNode;
}

export interface ComposeResult {
  /** Undefined when composition failed. */
  supergraphSdl: string | undefined;
  /** Each subgraph's SDL as printed from its typeDefs, by name. */
  subgraphSdl: Record<string, string>;
  errors: string[];
  hints: HintReport[];
}

/**
 * The routing URL written into the supergraph. A placeholder on purpose (the
 * reserved .invalid domain): the gateway routes by subgraph name to the URLs
 * in its configuration, so the committed file does not depend on ports or hosts.
 */
export function placeholderUrl(name: string): string {
  return `http://${name}.subgraph.invalid/graphql`;
}

export function composeSupergraph(subgraphs: readonly SubgraphInput[]): ComposeResult {
  const subgraphSdl = Object.fromEntries(subgraphs.map((s) => [s.name, print(s.typeDefs)]));
  const result = composeServices(subgraphs.map((s) => ({ name: s.name, url: placeholderUrl(s.name), typeDefs: s.typeDefs })));
  if (result.errors) {
    return { supergraphSdl: undefined, subgraphSdl, errors: result.errors.map((e) => e.message), hints: [] };
  }
  return { supergraphSdl: result.supergraphSdl, subgraphSdl, errors: [], hints: result.hints.map(reportHint) };
}

/** Errors and the hints that matter, one line each; empty when the composition is acceptable. */
export function compositionProblems(result: ComposeResult): string[] {
  return [
    ...result.errors.map((e) => `error: ${e}`),
    ...result.hints.filter((h) => !h.allowed).map((h) => `hint ${h.code} (${h.level}): ${h.message}`),
  ];
}
