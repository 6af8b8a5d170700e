/**
 * SDL shapes the catalog domains (models, datasets, prompt templates) repeat:
 * a connection of a type (its edge and connection types) and the order of a
 * list (its field enum and input).
 */

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
