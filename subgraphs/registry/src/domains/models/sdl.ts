/** The model domain's types, inputs, queries and mutations (list and connection shapes from ../catalog/sdl.ts). */
import { catalogEntityFieldsSdl, catalogOrderSdl, connectionSdl, numberedVersionFieldsSdl } from '../catalog/sdl';

export const modelsSdl = /* GraphQL */ `
  "A registered model (MLflow's model registry): a named line of numbered versions in a project."
  type Model @key(fields: "id") {
    ${catalogEntityFieldsSdl}
    metadata: JSONObject!
    ${numberedVersionFieldsSdl('ModelVersion', 'model')}
    createdBy: User!
    createdAt: DateTime!
    updatedAt: DateTime!
  }

  "One immutable version of a model, numbered 1, 2, 3… per model without gaps."
  type ModelVersion @key(fields: "id") {
    id: ID!
    model: Model!
    version: Int!
    description: String!
    tags: JSONObject!
    metadata: JSONObject!
    "Names of the aliases pointing at this version."
    aliases: [String!]!
    createdBy: User!
    createdAt: DateTime!
  }

  "A mutable name (\\"production\\", \\"staging\\") pointing at one version of a model."
  type ModelAlias {
    alias: String!
    version: ModelVersion!
    updatedAt: DateTime!
  }

  ${connectionSdl('Model')}

  ${connectionSdl('ModelVersion')}

  input ModelFilter {
    projectId: ID
    "Case-insensitive substring of the name."
    nameSearch: String
    "Models whose tags contain all these key-values."
    tags: JSONObject
    "Models whose metadata contains this JSON object."
    metadataContains: JSONObject
    created: TimeRange
  }

  ${catalogOrderSdl('Model')}

  input RegisterModelInput {
    projectId: ID!
    name: String!
    description: String
    tags: JSONObject
    metadata: JSONObject
  }

  input CreateModelVersionInput {
    modelId: ID!
    description: String
    "The run that produced this version: a run of the model's project."
    sourceRunId: ID
    tags: JSONObject
    metadata: JSONObject
  }

  input CreateModelVersionFromRunInput {
    modelId: ID!
    "A run of the model's project; its outputs become the version's artifacts."
    runId: ID!
    "Output names to take, exact or prefixes ending in /: all outputs when absent (at most 1,000)."
    files: [String!]
    description: String
    tags: JSONObject
    metadata: JSONObject
  }

  extend type Query {
    """
    A model by id, or by its project and name (names are unique per project):
    model(projectId: "…", name: "llama-ft"). Give id, or projectId and name
    (BAD_USER_INPUT otherwise); NOT_FOUND when unknown or not visible.
    """
    model(id: ID, projectId: ID, name: String): Model @requiresScopes(scopes: [["read"]])
    "Models in the projects the caller may read."
    models(filter: ModelFilter, first: Int, after: String, orderBy: ModelOrder): ModelConnection! @requiresScopes(scopes: [["read"]])
    """
    A model version by id, or the version behind an alias (or number) of a
    model named in a project, in one call: modelVersion(projectId: "…", model:
    "llama-ft", alias: "production"); the reserved alias "latest" is the newest.
    Give id, or projectId, model and one of alias and version (BAD_USER_INPUT
    otherwise); NOT_FOUND when unknown, unset or not visible.
    """
    modelVersion(id: ID, projectId: ID, model: String, alias: String, version: Int): ModelVersion
      @requiresScopes(scopes: [["read"]])
  }

  extend type Mutation {
    "Registers a model in a project (EDITOR); CONFLICT when the project has a model of that name."
    registerModel(input: RegisterModelInput!): Model! @requiresScopes(scopes: [["write"]])
    "Adds the next version of a model (EDITOR)."
    createModelVersion(input: CreateModelVersionInput!): ModelVersion! @requiresScopes(scopes: [["write"]])
    """
    Registers the next version of a model from a run's outputs (EDITOR on the
    model, READ on the run): the files are copied under the version in S3, then
    the version is created, linked to the run (sourceRun), its metadata counting
    the files (sourceFiles). An operation (docs/design/sagas.md): when the copy cannot
    be made (no such outputs, the run deleted), whatever was copied is removed
    and no version is created (FAILED). Operation.modelVersion is the version.
    """
    createModelVersionFromRun(input: CreateModelVersionFromRunInput!): Operation! @requiresScopes(scopes: [["write"]])
    "Points an alias at a version, creating it or moving it (EDITOR)."
    setModelAlias(modelId: ID!, alias: String!, version: Int!): ModelAlias! @requiresScopes(scopes: [["write"]])
    "Removes an alias (EDITOR); false when there was none."
    deleteModelAlias(modelId: ID!, alias: String!): Boolean! @requiresScopes(scopes: [["write"]])
  }
`;
