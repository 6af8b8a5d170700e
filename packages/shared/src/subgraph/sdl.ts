/**
 * SDL that several subgraphs declare: composition requires a shared (@shareable)
 * type to read the same everywhere, so it is written once, here. Light on
 * purpose: subgraphs' schema modules import it (`@lab/shared/sdl`) and the
 * gateway's compose script loads those.
 */

/** How a subgraph's store answers right now. Each subgraph exposes one as `<name>Status`. */
export interface StoreStatus {
  service: string;
  store: string;
  serverVersion: string;
  latencyMs: number;
}

export const STORE_STATUS_SDL = /* GraphQL */ `
  "How a subgraph's store answers right now."
  type StoreStatus @shareable {
    "The subgraph that owns the store."
    service: String!
    "The store engine, e.g. postgresql, clickhouse, chdb (embedded ClickHouse), s3."
    store: String!
    "The server's version, or what can be told of it."
    serverVersion: String!
    "Round trip of the query that produced this answer, in milliseconds."
    latencyMs: Float!
  }
`;

/** Relay page info, shared by every subgraph's connections. */
export const PAGE_INFO_SDL = /* GraphQL */ `
  "Where a page of a connection sits in the whole list."
  type PageInfo @shareable {
    hasNextPage: Boolean!
    hasPreviousPage: Boolean!
    startCursor: String
    endCursor: String
  }
`;

/** The DateTime scalar; subgraphs declaring it must describe it identically for composition. */
export const DATE_TIME_SDL = /* GraphQL */ `
  "An instant, as an ISO 8601 string in UTC."
  scalar DateTime
`;
