/**
 * The metrics subgraph's SDL. Kept free of runtime imports beyond graphql's
 * parser: the gateway's compose script imports it as `@lab/metrics/schema`.
 */
import { DATE_TIME_SDL, PAGE_INFO_SDL, STORE_STATUS_SDL } from '@lab/shared/subgraph';
import { parse } from 'graphql';

export const typeDefs = parse(/* GraphQL */ `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable", "@requiresScopes"])

  ${STORE_STATUS_SDL}

  ${DATE_TIME_SDL}

  ${PAGE_INFO_SDL}

  "A JSON object."
  scalar JSONObject

  "One change made through the registry, as its audit trail recorded it (docs/design/audit-trail.md)."
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
    """
    Metrics of several runs for overlaid charts (docs/api/metrics.md), in ONE ClickHouse query: one RunSeries per
    run and metric, runs in the order asked, each run's metrics in the order asked (name first, then names, each once).
    Each metric is bucketed on ONE step grid shared by the runs, so every run's buckets of it have the same boundaries
    (bucketStart, bucketWidth): the grid spans fromStep..toStep when given, else the first to the last step any of the
    readable runs logged in the range; a run with at most maxPoints points in the range comes back exact. Caps: 1 to
    100 run ids, 1 to 10 metric names, maxPoints 1 to 10,000, runs × names × maxPoints at most 1,000,000; fromStep and
    toStep are inclusive integers from 0, fromStep ≤ toStep. Anything else is BAD_USER_INPUT.
    """
    compareRuns(
      runIds: [ID!]!
      "A metric name (the first compared)."
      name: String
      "More metric names; name, names or both."
      names: [String!]
      maxPoints: Int = 1000
      "First step compared (inclusive)."
      fromStep: Float
      "Last step compared (inclusive)."
      toStep: Float
    ): [RunSeries!]! @requiresScopes(scopes: [["read"]])
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
    "First step of the bucket on the grid (the bucket spans bucketStart to bucketStart + MetricSeries.bucketWidth − 1); the point's step when exact."
    bucketStart: Float!
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
    "Whether the run ever logged this metric (at any step or time). false: never, and points is empty; true with no points: logged, but nothing in the range asked."
    logged: Boolean!
    "True when every point is returned as logged; false when bucketed to at most maxPoints."
    exact: Boolean!
    "Steps per bucket when bucketed; null when exact."
    bucketWidth: Float
    points: [SeriesPoint!]!
  }

  type RunSeries {
    runId: ID!
    "The metric of this series."
    name: String!
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
    "The metric names the run logged, sorted (for chart pickers); null (NOT_FOUND) when the caller may not read the run."
    metricNames: [String!] @requiresScopes(scopes: [["read"]])
    """
    A metric for a chart, in step order (docs/api/metrics.md): whole (exact) when at most maxPoints (1 to 10,000)
    points fall in the range, else at most maxPoints buckets over step, each with its last point's value and the
    bucket's min and max. Ranges: from inclusive, to exclusive (timestamps); fromStep and toStep inclusive (integers
    from 0, fromStep ≤ toStep), read from the step_blocks projection: zooming into a step range returns its points
    exactly when they fit maxPoints. A metric the run never logged answers logged: false; one logged but with no point
    in the range, logged: true and no points. Null (NOT_FOUND) when the caller may not read the run.
    """
    metricSeries(
      name: String!
      maxPoints: Int = 1000
      from: DateTime
      to: DateTime
      "First step (inclusive)."
      fromStep: Float
      "Last step (inclusive)."
      toStep: Float
    ): MetricSeries
  }

  type Experiment @key(fields: "id") {
    id: ID!
    "Last values of a metric across the runs; null when no run logged it, or (NOT_FOUND) when the caller may not read the experiment."
    metricSummary(name: String!): ExperimentMetricSummary
    "The metric names any of the experiment's runs logged, sorted (for chart pickers); null (NOT_FOUND) when the caller may not read the experiment."
    metricNames: [String!] @requiresScopes(scopes: [["read"]])
  }

  input MetricTagInput {
    key: String!
    value: String!
  }

  "One metric point. Rules: docs/ingestion.md."
  input MetricPointInput {
    "1 to 200 characters of [A-Za-z0-9_./-], not starting with . / or -."
    name: String!
    "A finite number: NaN and Infinity are rejected."
    value: Float!
    "A non-negative integer up to 2^53 - 1 (Float because GraphQL Int is 32-bit)."
    step: Float!
    "ISO-8601 or epoch milliseconds, newer than the retention of metric points (LAB_METRICS_RETENTION_DAYS, default 365 days; 0: any time from 1970) and at most a day ahead; default now. An older point is BAD_USER_INPUT saying so."
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
    "Points of a run as they are stored, through either ingest path, per metric in step order; names filters (at most 100; all metrics when absent). Needs READ on the run. A slow subscriber is coalesced to the latest point per metric (docs/streams.md)."
    metricStream(runId: ID!, names: [String!]): MetricPoint! @requiresScopes(scopes: [["read"]])
  }

  type Mutation {
    "Stores up to 10,000 points of a run (EDITOR), all or nothing; the same idempotencyKey (per run, kept 24 h) with the same points is stored once, with other points it is a CONFLICT."
    logMetrics(runId: ID!, points: [MetricPointInput!]!, idempotencyKey: String): LogMetricsResult! @requiresScopes(scopes: [["write"]])
  }
`);
