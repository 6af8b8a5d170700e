/**
 * The artifacts subgraph's SDL. Kept free of runtime imports beyond graphql's
 * parser: the gateway's compose script imports it as `@lab/artifacts/schema`.
 */
import { parse } from 'graphql';

export const typeDefs = parse(/* GraphQL */ `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable"])

  "How one subgraph sees its store, measured when asked."
  type StoreStatus @shareable {
    service: String!
    "s3"
    store: String!
    "The server (from its Server header when it sends one), its address and what it supports, e.g. 127.0.0.1:4569 (versioning: no, lifecycle: no)"
    serverVersion: String!
    "Round trip of a HeadBucket, in milliseconds"
    latencyMs: Float!
  }

  type Query {
    artifactsStatus: StoreStatus!
  }
`);
