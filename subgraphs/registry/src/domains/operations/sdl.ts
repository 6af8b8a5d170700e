export const operationsSdl = /* GraphQL */ `
  "Where a cross-store operation is (docs/design/sagas.md)."
  enum OperationStatus {
    "Its steps are running, or one waits to be retried."
    RUNNING
    "A step failed for good: what was done is being undone."
    COMPENSATING
    "Every step is done."
    SUCCEEDED
    "It failed and nothing of it is left."
    FAILED
  }

  """
  A cross-store operation (a saga): commitDatasetVersion, deleteExperiment,
  deleteRun, createModelVersionFromRun. Its state is kept in PostgreSQL: it survives a
  crash and resumes; each step is retried until it succeeds, and a step that
  cannot succeed undoes the earlier ones.
  """
  type Operation {
    id: ID!
    "dataset-version.commit, experiment.delete, run.delete or model-version.from-run."
    kind: String!
    status: OperationStatus!
    "The step running or next while active; the last one run once finished."
    step: String!
    "The steps, in order."
    steps: [String!]!
    "The steps that undo them when one fails for good (none: it only goes forward)."
    compensation: [String!]!
    "Failed tries of the current step so far."
    attempts: Int!
    "Why it is retrying, or why it failed."
    error: String
    "The GraphQL type and id of what it works on."
    entityType: String!
    entityId: ID!
    projectId: ID
    "What the steps recorded (sizes, counts, the version made)."
    result: JSONObject!
    "The dataset version it commits (dataset-version.commit)."
    datasetVersion: DatasetVersion
    "The version it made (model-version.from-run), once SUCCEEDED."
    modelVersion: ModelVersion
    createdAt: DateTime!
    updatedAt: DateTime!
    finishedAt: DateTime
  }

  type OperationEdge {
    node: Operation!
    cursor: String!
  }

  type OperationConnection {
    edges: [OperationEdge!]!
    pageInfo: PageInfo!
    totalCount: Int!
  }

  input OperationFilter {
    status: [OperationStatus!]
    kind: String
    projectId: ID
    "Operations on this entity (an experiment, run, dataset version or model id)."
    entityId: ID
  }

  extend type Query {
    "An operation by id (NOT_FOUND when unknown or its project is not visible)."
    operation(id: ID!): Operation @requiresScopes(scopes: [["read"]])
    "Operations in the projects the caller may read (admins: all), newest first."
    operations(filter: OperationFilter, first: Int, after: String): OperationConnection! @requiresScopes(scopes: [["read"]])
  }
`;
