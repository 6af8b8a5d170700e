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

  input MetricTagInput {
    key: String!
    value: String!
  }

  "One metric point. Rules: README, Metrics ingestion."
  input MetricPointInput {
    "1 to 200 characters of [A-Za-z0-9_./-], not starting with . / or -."
    name: String!
    "A finite number: NaN and Infinity are rejected."
    value: Float!
    "A non-negative integer up to 2^53 - 1 (Float because GraphQL Int is 32-bit)."
    step: Float!
    "ISO-8601 or epoch milliseconds, within the last year (minus a day) and at most a day ahead; default now."
    timestamp: String
    "At most 20; keys 1 to 256 characters, values up to 256."
    tags: [MetricTagInput!]
  }

  type LogMetricsResult {
    "Points accepted (all of them: a batch is stored whole or not at all)."
    accepted: Int!
    "True when the same idempotencyKey and points were already stored; null when unknown."
    duplicate: Boolean
  }

  type Mutation {
    "Stores up to 10,000 points of a run (EDITOR), all or nothing; the same idempotencyKey with the same points is stored once."
    logMetrics(runId: ID!, points: [MetricPointInput!]!, idempotencyKey: String): LogMetricsResult!
  }
`);
