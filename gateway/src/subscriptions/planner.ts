/**
 * Plans subscriptions over the supergraph. @apollo/query-planner plans them
 * (a SubscriptionNode: the `primary` fetch is a subscription to the owning
 * subgraph, `rest` the fetches that complete each event from the others);
 * @apollo/gateway refuses to execute them, so topics.ts does.
 * Plans are cached per document and operation name; the schemas and the
 * planner are the ones queries use (execution/supergraphPlanning.ts).
 */
import type { Schema } from '@apollo/federation-internals';
import { buildOperationContext } from '@apollo/gateway';
import type { FetchNode, PlanNode } from '@apollo/query-planner';
import type { DocumentNode, GraphQLSchema } from 'graphql';
import { LRUCache } from 'lru-cache';
import type { SupergraphPlanning } from '../execution/supergraphPlanning';

export interface SubscriptionPlan {
  operationContext: ReturnType<typeof buildOperationContext>;
  /** The subscription sent to the owning subgraph. */
  primary: FetchNode;
  /** What completes each event from other subgraphs (absent when the owner answers it all). */
  rest: PlanNode | undefined;
}

export class SubscriptionPlanner {
  /** The API schema clients see (graphql-js), for validation. */
  readonly schema: GraphQLSchema;
  readonly supergraphSchema: GraphQLSchema;
  readonly apiSchema: Schema;
  private readonly cache = new LRUCache<string, SubscriptionPlan>({ max: 1000 });

  constructor(private readonly planning: SupergraphPlanning) {
    this.schema = planning.schema;
    this.supergraphSchema = planning.supergraphSchema;
    this.apiSchema = planning.apiSchema;
  }

  /** The plan of a validated subscription document; `query` is its text (the cache key). */
  plan(document: DocumentNode, query: string, operationName: string | undefined): SubscriptionPlan {
    const key = `${operationName ?? ''}\n${query}`;
    const cached = this.cache.get(key);
    if (cached) return cached;
    const node = this.planning.plan(document, operationName).node;
    if (node?.kind !== 'Subscription') throw new Error(`expected a subscription plan, got ${node?.kind ?? 'none'}`);
    const plan: SubscriptionPlan = {
      operationContext: buildOperationContext({ schema: this.schema, operationDocument: document, operationName }),
      primary: node.primary,
      rest: node.rest,
    };
    this.cache.set(key, plan);
    return plan;
  }
}
