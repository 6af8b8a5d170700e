/**
 * The metrics subgraph's SDL. Kept free of runtime imports beyond graphql's
 * parser: the gateway's compose script imports it as `@lab/metrics/schema`.
 */
import { parse } from 'graphql';

export const typeDefs = parse(/* GraphQL */ `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable"])

  # StoreStatus is shared by the three subgraphs (@shareable) and must read the
  # same in each: composition fails on differing descriptions, so it carries
  # none here. In this subgraph: store is "clickhouse" or "chdb (embedded
  # ClickHouse)", serverVersion comes from SELECT version(), latencyMs is the
  # round trip of that query.
  type StoreStatus @shareable {
    service: String!
    store: String!
    serverVersion: String!
    latencyMs: Float!
  }

  type Query {
    metricsStatus: StoreStatus!
  }
`);
