/**
 * SDL shapes the catalog domains (models, datasets, prompt templates) repeat:
 * the fields every catalog entity opens with, the version fields of an entity
 * with numbered versions and aliases, a connection of a type (its edge and
 * connection types) and the order of a list (its field enum and input).
 */

/** The fields every catalog entity opens with: its id, project, name, description and tags. */
export const catalogEntityFieldsSdl = /* GraphQL */ `
    id: ID!
    projectId: ID!
    project: Project!
    name: String!
    description: String!
    "Key-value tags: a JSON object of strings."
    tags: JSONObject!`;

/** The fields of an entity with numbered versions and aliases (models, prompt templates): `what` names it in descriptions. */
export function numberedVersionFieldsSdl(version: string, what: string): string {
  return /* GraphQL */ `
    "The newest version; null before the first."
    latestVersion: ${version}
    "One version by number; null when there is no such version."
    version(number: Int!): ${version}
    "Versions, newest first."
    versions(first: Int, after: String): ${version}Connection!
    "The version an alias points at; the reserved alias \\"latest\\" is the newest version. Null when unset."
    alias(name: String!): ${version}
    "Every alias of the ${what}, by name."
    aliases: [${version.replace('Version', 'Alias')}!]!`;
}

/** `<Node>Edge` and `<Node>Connection`: a page of nodes with cursors and the total. */
export function connectionSdl(node: string): string {
  return /* GraphQL */ `
  type ${node}Edge {
    node: ${node}!
    cursor: String!
  }

  type ${node}Connection {
    edges: [${node}Edge!]!
    pageInfo: PageInfo!
    totalCount: Int!
  }
`;
}

/** `<List>OrderField` and `<List>Order`: a catalog list sorted by creation, change or name, newest first by default. */
export function catalogOrderSdl(list: string): string {
  return /* GraphQL */ `
  enum ${list}OrderField {
    CREATED_AT
    UPDATED_AT
    NAME
  }

  input ${list}Order {
    field: ${list}OrderField = CREATED_AT
    direction: SortDirection = DESC
  }
`;
}
