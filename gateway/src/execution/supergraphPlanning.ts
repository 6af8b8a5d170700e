/**
 * The supergraph as the gateway plans over it, built once at start and
 * shared by the plan execution (queries and mutations, planExecution.ts) and
 * the subscription planner (subscriptions/planner.ts): the API schema, the
 * supergraph schema and @apollo/query-planner's planner over them.
 */
import { operationFromDocument, type Schema, Supergraph } from '@apollo/federation-internals';
import { type QueryPlan, QueryPlanner } from '@apollo/query-planner';
import type { DocumentNode, GraphQLSchema } from 'graphql';

export class SupergraphPlanning {
  /** The API schema clients see (federation-internals), which operations are read over. */
  readonly apiSchema: Schema;
  /** The same as graphql-js: validation, variable coercion, result shaping. */
  readonly schema: GraphQLSchema;
  /** The supergraph schema (graphql-js): which entities a representation's type condition takes. */
  readonly supergraphSchema: GraphQLSchema;
  private readonly planner: QueryPlanner;

  constructor(supergraphSdl: string) {
    const supergraph = Supergraph.build(supergraphSdl);
    this.apiSchema = supergraph.apiSchema();
    this.schema = this.apiSchema.toGraphQLJSSchema();
    this.supergraphSchema = supergraph.schema.toGraphQLJSSchema();
    this.planner = new QueryPlanner(supergraph);
  }

  /** The query plan of a validated document's operation. */
  plan(document: DocumentNode, operationName: string | undefined): QueryPlan {
    return this.planner.buildQueryPlan(operationFromDocument(this.apiSchema, document, { operationName }));
  }
}
