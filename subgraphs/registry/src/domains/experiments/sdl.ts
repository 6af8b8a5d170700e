export const experimentsSdl = /* GraphQL */ `
  """
  Where an experiment is in its life. Legal steps (updateExperiment refuses
  any other with CONFLICT):
  DRAFT → RUNNING | ARCHIVED;
  RUNNING → COMPLETED | FAILED | ARCHIVED;
  COMPLETED → ARCHIVED | RUNNING;
  FAILED → RUNNING | ARCHIVED;
  ARCHIVED → DRAFT.
  """
  enum ExperimentStatus {
    DRAFT
    RUNNING
    COMPLETED
    FAILED
    ARCHIVED
  }

  """
  A run starts RUNNING and ends COMPLETED, FAILED or KILLED (finishRun, or
  updateRun, which also resumes a finished run: back to RUNNING, its endTime
  cleared). One finished status never turns into another directly (CONFLICT).
  """
  enum RunStatus {
    RUNNING
    COMPLETED
    FAILED
    KILLED
  }

  "How a run ended."
  enum RunEndStatus {
    COMPLETED
    FAILED
    KILLED
  }

  "A named study in a project, grouping runs."
  type Experiment @key(fields: "id") {
    id: ID!
    project: Project!
    "Unique in its project."
    name: String!
    description: String!
    status: ExperimentStatus!
    "Free-form configuration (hyper-parameter grids, model family, ...)."
    config: JSONObject!
    "Key-value tags: a JSON object of strings."
    tags: JSONObject!
    "Who created it."
    owner: User!
    createdAt: DateTime!
    updatedAt: DateTime!
    """
    The experiment's runs. \`search\` is the run filter language (MLflow's
    search_runs syntax with AND, OR, NOT and parentheses), e.g.
    "params.lr > 0.01 AND (tags.team = 'nlp' OR status = 'FAILED')"; also
    config paths ("config.optimizer.lr > 1e-4") and metrics, last value by
    default ("metrics.val_loss < 0.5", "min(metrics.val_loss) < 0.5", max()).
    \`orderBy: { metric: { name, aggregate } }\` orders by a metric, runs
    without it last.
    """
    runs(filter: ExperimentRunFilter, search: String, first: Int, after: String, orderBy: RunOrder): RunConnection!
    "How many runs the experiment has."
    runCount: Int!
  }

  "One training or evaluation run of an experiment."
  type Run @key(fields: "id") {
    id: ID!
    experiment: Experiment!
    name: String!
    status: RunStatus!
    "Parameters: a JSON object of strings (as MLflow logs them)."
    params: JSONObject!
    "Key-value tags: a JSON object of strings."
    tags: JSONObject!
    "Nested configuration (a JSON object, kept as given at startRun); searched as config.<path>."
    config: JSONObject!
    "Markdown notes (updateRun); empty when none."
    notes: String!
    "Where the run's code came from; null when startRun was given none."
    source: RunSource
    startTime: DateTime!
    "Null while the run is RUNNING."
    endTime: DateTime
    "Seconds from startTime to endTime; null while the run is RUNNING."
    duration: Float
    createdBy: User!
    createdAt: DateTime!
  }

  type ExperimentEdge {
    node: Experiment!
    cursor: String!
  }

  type ExperimentConnection {
    edges: [ExperimentEdge!]!
    pageInfo: PageInfo!
    totalCount: Int!
  }

  type RunEdge {
    node: Run!
    cursor: String!
  }

  type RunConnection {
    edges: [RunEdge!]!
    pageInfo: PageInfo!
    totalCount: Int!
  }

  input ExperimentFilter {
    projectId: ID
    "Any of these statuses."
    status: [ExperimentStatus!]
    "Experiments whose tags contain all of these key-value pairs."
    tags: JSONObject
    "Case-insensitive substring of the name."
    nameSearch: String
    created: TimeRange
    "Same as created.from."
    createdAfter: DateTime
    "Same as created.to."
    createdBefore: DateTime
    "Experiments whose config contains this JSON object (JSONB containment)."
    configContains: JSONObject
  }

  enum ExperimentOrderField {
    CREATED_AT
    UPDATED_AT
    NAME
  }

  input ExperimentOrder {
    field: ExperimentOrderField = CREATED_AT
    direction: SortDirection = DESC
  }

  input RunFilter {
    experimentId: ID
    projectId: ID
    "Any of these statuses."
    status: [RunStatus!]
    "Runs whose tags contain all of these key-value pairs."
    tags: JSONObject
    "Runs whose params contain this JSON object."
    paramsContains: JSONObject
    "Case-insensitive substring of the name."
    nameSearch: String
    "Runs whose startTime is in this range."
    started: TimeRange
  }

  "The filters of RunFilter that apply within one experiment."
  input ExperimentRunFilter {
    status: [RunStatus!]
    tags: JSONObject
    paramsContains: JSONObject
    nameSearch: String
    started: TimeRange
  }

  enum RunOrderField {
    START_TIME
    CREATED_AT
    NAME
    "The status's name, alphabetically (COMPLETED, FAILED, KILLED, RUNNING)."
    STATUS
    "End time minus start time; runs still running (no end time) come last in both directions."
    DURATION
    "The creator's name (their email when the name is empty), as text."
    AUTHOR
  }

  input RunOrder {
    field: RunOrderField = CREATED_AT
    direction: SortDirection = DESC
    "Orders by this metric of each run instead of field: runs without it come last; ties by id."
    metric: RunMetricOrder
    """
    Orders by this param's value instead of field: numbers numerically, strings as text (values of different JSON
    types are grouped by type); runs without it, or with null, come last; ties by id. Not with metric.
    """
    param: String
  }

  input CreateExperimentInput {
    projectId: ID!
    name: String!
    description: String
    config: JSONObject
    tags: JSONObject
  }

  "Fields left out stay as they are."
  input UpdateExperimentInput {
    name: String
    description: String
    "Only along the legal steps documented on ExperimentStatus."
    status: ExperimentStatus
    "Replaces the whole config."
    config: JSONObject
    "Replaces all tags."
    tags: JSONObject
  }

  input StartRunInput {
    experimentId: ID!
    name: String!
    "A JSON object of strings (numbers and booleans are stored as strings)."
    params: JSONObject
    tags: JSONObject
    "Dataset versions the run reads (lineage); each must be in the experiment's project."
    inputs: [ID!]
    "Default: now."
    startTime: DateTime
    "Nested configuration: a JSON object of at most 64 KiB, nested at most 32 levels (numbers stay numbers)."
    config: JSONObject
    "Where the run's code came from."
    source: RunSourceInput
    "Markdown notes, at most 50,000 characters."
    notes: String
  }

  extend type Query {
    "An experiment; NOT_FOUND when it does not exist or the caller cannot read its project."
    experiment(id: ID!): Experiment! @requiresScopes(scopes: [["read"]])
    "Experiments of the projects the caller can read."
    experiments(filter: ExperimentFilter, first: Int, after: String, orderBy: ExperimentOrder): ExperimentConnection! @requiresScopes(scopes: [["read"]])
    "A run; NOT_FOUND when it does not exist or the caller cannot read its project."
    run(id: ID!): Run! @requiresScopes(scopes: [["read"]])
    "Runs of the projects the caller can read; \`search\` as on Experiment.runs."
    runs(filter: RunFilter, search: String, first: Int, after: String, orderBy: RunOrder): RunConnection! @requiresScopes(scopes: [["read"]])
  }

  extend type Mutation {
    "Creates a DRAFT experiment owned by the caller (EDITOR in the project)."
    createExperiment(input: CreateExperimentInput!): Experiment! @requiresScopes(scopes: [["write"]])
    "Changes an experiment (EDITOR); status only along the legal steps, else CONFLICT."
    updateExperiment(id: ID!, input: UpdateExperimentInput!): Experiment! @requiresScopes(scopes: [["write"]])
    "Starts a RUNNING run in an experiment (EDITOR), recording the dataset versions it reads."
    startRun(input: StartRunInput!): Run! @requiresScopes(scopes: [["write"]])
    "Ends a RUNNING run (EDITOR); CONFLICT when it is not RUNNING. endTime defaults to now."
    finishRun(id: ID!, status: RunEndStatus = COMPLETED, endTime: DateTime): Run! @requiresScopes(scopes: [["write"]])
    """
    Changes a run (EDITOR): its name, notes and tags; adds params (a param
    already logged with another value is CONFLICT: logged params never change;
    with the same value, nothing); moves its status along the steps documented
    on RunStatus (finishing sets endTime to now, resuming clears it; any other
    step is CONFLICT). Fields left out stay as they are; a change that changes
    nothing is answered without writing.
    """
    updateRun(id: ID!, input: UpdateRunInput!): Run! @requiresScopes(scopes: [["write"]])
    """
    Deletes a run with its metrics (ClickHouse) and outputs (S3): its creator
    or the experiment's owner (EDITOR), or an OWNER of its project. From the
    moment it answers, the run is gone for every reader and writer (a
    metricStream on it ends with NOT_FOUND); the operation (docs/design/sagas.md) then
    removes the metrics, the files and last the row, retrying each step until
    it is done. Deleting a run already deleted (or being deleted) answers that
    deletion.
    """
    deleteRun(id: ID!): Operation! @requiresScopes(scopes: [["write"]])
    """
    Deletes an experiment with its runs, their metrics (ClickHouse) and their
    outputs (S3): the project's OWNER, or an EDITOR who owns the experiment. From
    the moment it answers, the experiment and its runs are gone for every reader
    and writer; the operation (docs/design/sagas.md) then removes the metrics, the
    files and last the rows, retrying each step until it is done. Deleting an
    experiment already deleted (or being deleted) answers that deletion.
    """
    deleteExperiment(id: ID!): Operation! @requiresScopes(scopes: [["write"]])
  }
`;
