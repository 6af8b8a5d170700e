export const identitySdl = /* GraphQL */ `
  "A person (or the bootstrap admin) known to the platform."
  type User @key(fields: "id") {
    id: ID!
    email: String!
    name: String!
    isAdmin: Boolean!
    createdAt: DateTime!
  }

  extend type Query {
    "The calling user; null for callers that are not users (internal services)."
    me: User
  }
`;
