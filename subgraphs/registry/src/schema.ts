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

  "How one subgraph sees its store, measured when asked."
  type StoreStatus @shareable {
    service: String!
    "postgresql"
    store: String!
    "The server's own version, from SHOW server_version"
    serverVersion: String!
    "Round trip of the version query, in milliseconds"
    latencyMs: Float!
  }

  type Query {
    "The calling user; null for callers that are not users (internal services)."
    me: User
    registryStatus: StoreStatus!
  }
`);
