/**
 * The metrics subgraph's SDL. Kept free of runtime imports beyond graphql's
 * parser: the gateway's compose script imports it as `@lab/metrics/schema`.
 */
import { parse } from 'graphql';

export const typeDefs = parse(/* GraphQL */ `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable"])

  "How one subgraph sees its store, measured when asked."
  type StoreStatus @shareable {
    service: String!
    "clickhouse, or chdb (embedded ClickHouse)"
    store: String!
    "The engine's own version, from SELECT version()"
    serverVersion: String!
    "Round trip of the version query, in milliseconds"
    latencyMs: Float!
  }

  type Query {
    metricsStatus: StoreStatus!
  }
`);
