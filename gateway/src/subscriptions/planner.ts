/**
 * Plans subscriptions over the supergraph. @apollo/query-planner plans them
 * (a SubscriptionNode: the `primary` fetch is a subscription to the owning
 * subgraph, `rest` the fetches that complete each event from the others);
 * @apollo/gateway refuses to execute them, so topics.ts does.
 * Plans are cached per document and operation name.
 */
import { operationFromDocument, type Schema, Supergraph } from '@apollo/federation-internals';
import { buildOperationContext } from '@apollo/gateway';
import { type FetchNode, type PlanNode, QueryPlanner } from '@apollo/query-planner';
import type { DocumentNode, GraphQLSchema } from 'graphql';
import { LRUCache } from 'lru-cache';

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
  private readonly planner: QueryPlanner;
  private readonly cache = new LRUCache<string, SubscriptionPlan>({ max: 1000 });

  constructor(supergraphSdl: string) {
    const supergraph = Supergraph.build(supergraphSdl);
    this.apiSchema = supergraph.apiSchema();
    this.schema = this.apiSchema.toGraphQLJSSchema();
    this.supergraphSchema = supergraph.schema.toGraphQLJSSchema();
    this.planner = new QueryPlanner(supergraph);
  }

  /** The plan of a validated subscription document; `query` is its text (the cache key). */
  plan(document: DocumentNode, query: string, operationName: string | undefined): SubscriptionPlan {
    const key = `${operationName ?? ''}\n${query}`;
    const cached = this.cache.get(key);
    if (cached) return cached;
    const operation = operationFromDocument(this.apiSchema, document, { operationName });
    const queryPlan = this.planner.buildQueryPlan(operation);
    const node = queryPlan.node;
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
