/**
 * The registry subgraph's SDL. Kept free of runtime imports beyond graphql's
 * parser: the gateway's compose script imports it as `@lab/registry/schema`.
 */
import { parse } from 'graphql';

export { BOOTSTRAP_ADMIN_ID } from './constants';

export const typeDefs = parse(/* GraphQL */ `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable"])

  "A person (or the bootstrap admin) known to the platform."
  type User @key(fields: "id") {
    id: ID!
    email: String!
    name: String!
    isAdmin: Boolean!
    "ISO 8601 timestamp"
    createdAt: String!
  }

  # StoreStatus is shared by the three subgraphs (@shareable) and must read the
  # same in each: composition fails on differing descriptions, so it carries
  # none here. In this subgraph: store is "postgresql", serverVersion comes
  # from SHOW server_version, latencyMs is the round trip of that query.
  type StoreStatus @shareable {
    service: String!
    store: String!
    serverVersion: String!
    latencyMs: Float!
  }

  type Query {
    "The calling user; null for callers that are not users (internal services)."
    me: User
    registryStatus: StoreStatus!
  }
`);
