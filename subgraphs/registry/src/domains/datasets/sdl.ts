/** The dataset domain's types, inputs, queries and mutations (list and connection shapes from ../catalog/sdl.ts). */
import { catalogEntityFieldsSdl, catalogOrderSdl, connectionSdl } from '../catalog/sdl';

export const datasetsSdl = /* GraphQL */ `
  "A dataset: a named line of labelled versions in a project."
  type Dataset @key(fields: "id") {
    ${catalogEntityFieldsSdl}
    metadata: JSONObject!
    "Versions, newest first."
    versions(first: Int, after: String): DatasetVersionConnection!
    "One version by label; null when there is none."
    version(label: String!): DatasetVersion
    createdBy: User!
    createdAt: DateTime!
    updatedAt: DateTime!
  }

  "Where a dataset version is: PENDING until its files are in, then READY or FAILED (final)."
  enum DatasetVersionStatus {
    PENDING
    READY
    FAILED
  }

  "One version of a dataset, labelled (\\"v1\\", \\"2026-11-25\\") uniquely in its dataset."
  type DatasetVersion @key(fields: "id") {
    id: ID!
    dataset: Dataset!
    label: String!
    "One of parquet, csv, jsonl, json, arrow, tfrecord, txt, other."
    format: String!
    sizeBytes: BigInt
    rowCount: BigInt
    "sha256:<64 lowercase hex digits>."
    checksum: String
    "The data's schema, as the writer described it."
    schema: JSONObject!
    status: DatasetVersionStatus!
    metadata: JSONObject!
    createdBy: User!
    createdAt: DateTime!
    updatedAt: DateTime!
  }

  ${connectionSdl('Dataset')}

  ${connectionSdl('DatasetVersion')}

  input DatasetFilter {
    projectId: ID
    "Case-insensitive substring of the name."
    nameSearch: String
    "Datasets whose tags contain all these key-values."
    tags: JSONObject
    "Datasets whose metadata contains this JSON object."
    metadataContains: JSONObject
    created: TimeRange
  }

  ${catalogOrderSdl('Dataset')}

  input CreateDatasetInput {
    projectId: ID!
    name: String!
    description: String
    tags: JSONObject
    metadata: JSONObject
  }

  input CreateDatasetVersionInput {
    datasetId: ID!
    "Unique in the dataset; letters, digits and . _ - / :"
    label: String!
    "One of parquet, csv, jsonl, json, arrow, tfrecord, txt, other (any case)."
    format: String!
    sizeBytes: BigInt
    rowCount: BigInt
    "sha256:<64 hex digits> or the 64 hex digits alone."
    checksum: String
    schema: JSONObject
    metadata: JSONObject
  }

  extend type Query {
    "A dataset by id (NOT_FOUND when unknown or not visible)."
    dataset(id: ID!): Dataset @requiresScopes(scopes: [["read"]])
    "Datasets in the projects the caller may read."
    datasets(filter: DatasetFilter, first: Int, after: String, orderBy: DatasetOrder): DatasetConnection! @requiresScopes(scopes: [["read"]])
    "A dataset version by id (NOT_FOUND when unknown or not visible)."
    datasetVersion(id: ID!): DatasetVersion @requiresScopes(scopes: [["read"]])
  }

  extend type Mutation {
    "Creates a dataset in a project (EDITOR); CONFLICT when the project has a dataset of that name."
    createDataset(input: CreateDatasetInput!): Dataset! @requiresScopes(scopes: [["write"]])
    "Adds a PENDING version to a dataset (EDITOR); CONFLICT when the label is taken."
    createDatasetVersion(input: CreateDatasetVersionInput!): DatasetVersion! @requiresScopes(scopes: [["write"]])
    """
    Verifies a PENDING version's files in S3 and makes it READY with their
    size and checksum (one file: its SHA-256; several: the SHA-256 of the list
    of "<checksum> <name>" lines, by name). When there is no file, or the size or
    checksum differs from what the version declared, its files are removed and
    it becomes FAILED. An operation (docs/design/sagas.md): SUCCEEDED or FAILED when it
    ended within the wait, else RUNNING. CONFLICT when the version is not PENDING;
    while a commit runs, answers that one.
    """
    commitDatasetVersion(id: ID!): Operation! @requiresScopes(scopes: [["write"]])
    """
    Finishes a PENDING version (EDITOR): status READY or FAILED, optionally with
    its final size, row count and checksum, as the caller states them (nothing is
    checked in S3: commitDatasetVersion verifies). CONFLICT when it is no longer PENDING.
    """
    updateDatasetVersionStatus(
      id: ID!
      status: DatasetVersionStatus!
      sizeBytes: BigInt
      rowCount: BigInt
      checksum: String
    ): DatasetVersion! @requiresScopes(scopes: [["write"]])
  }
`;
