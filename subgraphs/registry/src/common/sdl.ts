import { DATE_TIME_SDL, PAGE_INFO_SDL, STORE_STATUS_SDL } from '@lab/shared/subgraph';

/** Scalars, paging and sorting shared by every domain of the registry. */
export const commonSdl = /* GraphQL */ `
  ${DATE_TIME_SDL}
  "A JSON object."
  scalar JSONObject
  "An integer that may exceed 2^31 (sizes, row counts)."
  scalar BigInt

  ${PAGE_INFO_SDL}
  ${STORE_STATUS_SDL}

  enum SortDirection { ASC DESC }

  "A time range; either end may be left open."
  input TimeRange {
    from: DateTime
    to: DateTime
  }

  type Query {
    registryStatus: StoreStatus! @requiresScopes(scopes: [["read"]])
  }
`;
