/**
 * The metrics subgraph's SDL. Kept free of runtime imports beyond graphql's
 * parser: the gateway's compose script imports it as `@lab/metrics/schema`.
 */
import { DATE_TIME_SDL, PAGE_INFO_SDL, STORE_STATUS_SDL } from '@lab/shared/sdl';
import { parse } from 'graphql';

export const typeDefs = parse(/* GraphQL */ `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable", "@requiresScopes"])

  ${STORE_STATUS_SDL}

  ${DATE_TIME_SDL}

  ${PAGE_INFO_SDL}

  "A JSON object."
  scalar JSONObject

  "One change made through the registry, as its audit trail recorded it (README, Audit trail)."
  type AuditEvent {
    "The event id (the registry's outbox row)."
    id: ID!
    "When the change was committed."
    occurredAt: DateTime!
    "Who: a user id, the bootstrap admin's id, or a service name."
    actorId: String!
    "admin, user, service or system."
    actorKind: String!
    requestId: String!
    "<entity>.<verb>, e.g. experiment.create, apiKey.revoke, projectMember.update."
    action: String!
    "Project, Experiment, Run, Model, ModelVersion, Dataset, DatasetVersion, PromptTemplate, PromptVersion, ProjectMember, User, ApiKey."
    entityType: String!
    entityId: String!
    "The entity's project; null for users and API keys."
    projectId: ID
    "sha256 (hex) of the change as canonical JSON."
    changeDigest: String!
    "What changed, shortened (long strings cut, no secrets)."
    summary: JSONObject!
  }

  type AuditEventEdge {
    node: AuditEvent!
    cursor: String!
  }

  type AuditEventConnection {
    edges: [AuditEventEdge!]!
    pageInfo: PageInfo!
    totalCount: Int!
  }

  "Every field narrows; time ranges include from and exclude to."
  input AuditLogFilter {
    entityType: String
    entityId: String
    actorId: String
    action: String
    "Needed, and owned by the caller, unless the caller is an admin."
    projectId: ID
    from: DateTime
    to: DateTime
  }

  type Query {
    "The audit trail, newest first: every event for admins; a project's events for its OWNERs (filter.projectId). first 0 to 100 (20)."
    auditLog(filter: AuditLogFilter, first: Int, after: String): AuditEventConnection! @requiresScopes(scopes: [["read"]])
    metricsStatus: StoreStatus! @requiresScopes(scopes: [["read"]])
    "One metric of several runs, downsampled alike (README, Metrics queries): 1 to 100 run ids, maxPoints 1 to 10,000."
    compareRuns(runIds: [ID!]!, name: String!, maxPoints: Int = 1000): [RunSeries!]! @requiresScopes(scopes: [["read"]])
  }

  "One metric of a run: its last point and its extent. Counts are Float: they may exceed 2^31."
  type MetricSummary {
    name: String!
    "Value of the point with the largest step (any one of several logged at that step)."
    last: Float!
    min: Float!
    max: Float!
    "Points logged."
    count: Float!
    lastStep: Float!
    lastTimestamp: DateTime!
  }

  "A point of a series; when downsampled, one bucket of consecutive steps."
  type SeriesPoint {
    "Step of the bucket's last point (the drawn one)."
    step: Float!
    timestamp: DateTime!
    "Value of the bucket's last point."
    value: Float!
    "Smallest value in the bucket (spikes survive downsampling here)."
    min: Float!
    "Largest value in the bucket."
    max: Float!
    "Points in the bucket (1 when exact)."
    count: Float!
  }

  "One metric of one run, in step order."
  type MetricSeries {
    name: String!
    "True when every point is returned as logged; false when bucketed to at most maxPoints."
    exact: Boolean!
    points: [SeriesPoint!]!
  }

  type RunSeries {
    runId: ID!
    run: Run
    "Null (with a NOT_FOUND error) when the run does not exist or the caller may not read it."
    series: MetricSeries
  }

  "Over the last value of one metric in each of an experiment's runs."
  type ExperimentMetricSummary {
    name: String!
    "Runs that logged the metric."
    runs: Int!
    min: Float!
    max: Float!
    mean: Float!
    "The run whose last value is the smallest."
    minRunId: ID!
    "The run whose last value is the largest."
    maxRunId: ID!
  }

  type Run @key(fields: "id") {
    id: ID!
    "One summary per metric name, by name; null (NOT_FOUND) when the caller may not read the run."
    metrics: [MetricSummary!]
    "A metric downsampled to at most maxPoints (1 to 10,000) buckets over step; from inclusive, to exclusive. Null (NOT_FOUND) when the caller may not read the run."
    metricSeries(name: String!, maxPoints: Int = 1000, from: DateTime, to: DateTime): MetricSeries
  }

  type Experiment @key(fields: "id") {
    id: ID!
    "Last values of a metric across the runs; null when no run logged it, or (NOT_FOUND) when the caller may not read the experiment."
    metricSummary(name: String!): ExperimentMetricSummary
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

  type MetricTag {
    key: String!
    value: String!
  }

  "A point as it was stored, delivered live by Subscription.metricStream."
  type MetricPoint {
    runId: ID!
    run: Run!
    name: String!
    step: Float!
    value: Float!
    timestamp: DateTime!
    tags: [MetricTag!]!
    "Points of this metric not delivered just before this one (the subscriber fell behind, or they arrived after a later step); they are stored: refetch Run.metricSeries to fill the gap. 0 normally."
    skipped: Float!
  }

  type Subscription {
    "Points of a run as they are stored, through either ingest path, per metric in step order; names filters (at most 100; all metrics when absent). Needs READ on the run. A slow subscriber is coalesced to the latest point per metric (README, Live streams)."
    metricStream(runId: ID!, names: [String!]): MetricPoint! @requiresScopes(scopes: [["read"]])
  }

  type Mutation {
    "Stores up to 10,000 points of a run (EDITOR), all or nothing; the same idempotencyKey (per run, kept 24 h) with the same points is stored once, with other points it is a CONFLICT."
    logMetrics(runId: ID!, points: [MetricPointInput!]!, idempotencyKey: String): LogMetricsResult! @requiresScopes(scopes: [["write"]])
  }
`);
