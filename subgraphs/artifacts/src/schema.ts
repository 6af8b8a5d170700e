/**
 * The artifacts subgraph's SDL. Kept free of runtime imports beyond graphql's
 * parser: the gateway's compose script imports it as `@lab/artifacts/schema`.
 */
import { parse } from 'graphql';

export const typeDefs = parse(/* GraphQL */ `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable"])

  # StoreStatus is shared by the three subgraphs (@shareable) and must read the
  # same in each: composition fails on differing descriptions, so it carries
  # none here. In this subgraph: store is "s3", serverVersion names the server
  # (its Server header, when sent), its address and what it supports, e.g.
  # "127.0.0.1:4569 (versioning: no, lifecycle: no)", latencyMs is the round
  # trip of a HeadBucket.
  type StoreStatus @shareable {
    service: String!
    store: String!
    serverVersion: String!
    latencyMs: Float!
  }

  type Query {
    artifactsStatus: StoreStatus!
  }
`);
