export const reconcileSdl = /* GraphQL */ `
  "What a fault left behind across the stores (docs/operations/reconciliation.md)."
  enum ReconciliationFindingKind {
    "Files in S3 whose run, dataset version or model version is gone (or FAILED), older than the grace period."
    ORPHAN_FILES
    "A READY dataset version, or a model version made of a run's files, without its files in S3."
    MISSING_FILES
    "Metric points of a run that is gone, or whose experiment was deleted with no operation deleting them."
    METRICS_OF_DELETED_RUN
    "An operation (saga) not advanced for 15 minutes."
    STUCK_OPERATION
    "A PENDING dataset version older than the grace period that no commit works on."
    PENDING_DATASET_VERSION
  }

  type ReconciliationFinding {
    kind: ReconciliationFindingKind!
    "Run, DatasetVersion, ModelVersion or Operation."
    entityType: String!
    entityId: ID!
    "What was found, and what the repair did or why it could not."
    detail: String!
    repaired: Boolean!
  }

  "What a reconciliation looked at."
  type ReconciliationScanned {
    "Runs, dataset versions and model versions having files in the bucket."
    fileOwners: Int!
    "Keys in the bucket outside the owner layouts (never deleted)."
    unknownKeys: Int!
    "Runs having metric points."
    metricRuns: Int!
    "READY dataset versions checked for their files."
    datasetVersions: Int!
    "Model versions made of a run's files, checked for their files."
    modelVersions: Int!
    "Operations running or compensating."
    activeOperations: Int!
  }

  type ReconciliationReport {
    startedAt: DateTime!
    finishedAt: DateTime!
    "Whether the findings were repaired."
    repair: Boolean!
    graceHours: Float!
    "Each thing found, once."
    findings: [ReconciliationFinding!]!
    "Findings not repaired."
    remaining: Int!
    scanned: ReconciliationScanned!
  }

  extend type Mutation {
    """
    Admins: compares the three stores and reports what a fault left behind;
    with repair, repairs it. graceHours (default LAB_RECONCILE_GRACE_HOURS, 0
    to 720): how old orphaned files and PENDING versions must be to count.
    """
    reconcile(repair: Boolean = false, graceHours: Float): ReconciliationReport! @requiresScopes(scopes: [["admin"]])
  }
`;
