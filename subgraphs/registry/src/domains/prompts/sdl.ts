/** The prompt domain's types, inputs, queries and mutations (list and connection shapes from ../catalog/sdl.ts). */
import { catalogEntityFieldsSdl, catalogOrderSdl, connectionSdl, numberedVersionFieldsSdl } from '../catalog/sdl';

export const promptsSdl = /* GraphQL */ `
  "A prompt template (MLflow 3's prompt registry): a named line of immutable numbered versions in a project."
  type PromptTemplate @key(fields: "id") {
    ${catalogEntityFieldsSdl}
    ${numberedVersionFieldsSdl('PromptVersion', 'template')}
    createdBy: User!
    createdAt: DateTime!
    updatedAt: DateTime!
  }

  "One immutable version of a prompt template, numbered 1, 2, 3… per template without gaps."
  type PromptVersion @key(fields: "id") {
    id: ID!
    promptTemplate: PromptTemplate!
    version: Int!
    "The text, with {{variable}} placeholders."
    template: String!
    "The placeholders' names, in order of first use."
    variables: [String!]!
    commitMessage: String!
    "Names of the aliases pointing at this version."
    aliases: [String!]!
    "This version filled with values (see Query.renderPrompt)."
    render(values: JSONObject!): RenderedPrompt!
    createdBy: User!
    createdAt: DateTime!
  }

  "A mutable name (\\"production\\") pointing at one version of a prompt template."
  type PromptAlias {
    alias: String!
    version: PromptVersion!
    updatedAt: DateTime!
  }

  "A prompt version filled with values."
  type RenderedPrompt {
    text: String!
    version: PromptVersion!
    "The variables the version declares (every one was given a value)."
    variables: [String!]!
    "Names of given values the template does not use (not an error)."
    unusedValues: [String!]!
  }

  ${connectionSdl('PromptTemplate')}

  ${connectionSdl('PromptVersion')}

  input PromptTemplateFilter {
    projectId: ID
    "Case-insensitive substring of the name."
    nameSearch: String
    "Templates whose tags contain all these key-values."
    tags: JSONObject
    created: TimeRange
  }

  ${catalogOrderSdl('PromptTemplate')}

  input CreatePromptTemplateInput {
    projectId: ID!
    name: String!
    description: String
    tags: JSONObject
  }

  input CreatePromptVersionInput {
    templateId: ID!
    "The text, with {{variable}} placeholders (names [A-Za-z_][A-Za-z0-9_.]*, spaces inside the braces allowed)."
    template: String!
    commitMessage: String
    "If given, must equal the set of placeholders in the template."
    variables: [String!]
  }

  extend type Query {
    "A prompt template by id (NOT_FOUND when unknown or not visible)."
    promptTemplate(id: ID!): PromptTemplate @requiresScopes(scopes: [["read"]])
    "Prompt templates in the projects the caller may read."
    promptTemplates(
      filter: PromptTemplateFilter
      first: Int
      after: String
      orderBy: PromptTemplateOrder
    ): PromptTemplateConnection! @requiresScopes(scopes: [["read"]])
    "A prompt version by id (NOT_FOUND when unknown or not visible)."
    promptVersion(id: ID!): PromptVersion @requiresScopes(scopes: [["read"]])
    """
    Fills a template's version with values: the version by number, or the one an
    alias points at, or (neither given) the newest. Every variable needs a value
    (BAD_USER_INPUT naming the missing ones); extra values are reported in unusedValues.
    """
    renderPrompt(templateId: ID!, version: Int, alias: String, values: JSONObject!): RenderedPrompt! @requiresScopes(scopes: [["read"]])
  }

  extend type Mutation {
    "Creates a prompt template in a project (EDITOR); CONFLICT when the project has one of that name."
    createPromptTemplate(input: CreatePromptTemplateInput!): PromptTemplate! @requiresScopes(scopes: [["write"]])
    "Adds the next immutable version of a template (EDITOR)."
    createPromptVersion(input: CreatePromptVersionInput!): PromptVersion! @requiresScopes(scopes: [["write"]])
    "Points an alias at a version, creating it or moving it (EDITOR)."
    setPromptAlias(templateId: ID!, alias: String!, version: Int!): PromptAlias! @requiresScopes(scopes: [["write"]])
    "Removes an alias (EDITOR); false when there was none."
    deletePromptAlias(templateId: ID!, alias: String!): Boolean! @requiresScopes(scopes: [["write"]])
  }
`;
