/**
 * The metrics subgraph's SDL. Kept free of runtime imports beyond graphql's
 * parser: the gateway's compose script imports it as `@lab/metrics/schema`.
 */
import { STORE_STATUS_SDL } from '@lab/shared/sdl';
import { parse } from 'graphql';

export const typeDefs = parse(/* GraphQL */ `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable"])

  ${STORE_STATUS_SDL}

  type Query {
    metricsStatus: StoreStatus!
  }
`);
