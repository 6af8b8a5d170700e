/**
 * The registry subgraph's SDL. Kept free of runtime imports beyond graphql's
 * parser: the gateway's compose script imports it as `@lab/registry/schema`.
 */
import { STORE_STATUS_SDL } from '@lab/shared/sdl';
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

  ${STORE_STATUS_SDL}

  type Query {
    "The calling user; null for callers that are not users (internal services)."
    me: User
    registryStatus: StoreStatus!
  }
`);
