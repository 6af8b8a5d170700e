export const identitySdl = /* GraphQL */ `
  "A person (or the bootstrap admin) known to the platform."
  type User @key(fields: "id") {
    id: ID!
    email: String!
    name: String!
    isAdmin: Boolean!
    createdAt: DateTime!
    "The user's API keys, newest first (never their secret or hash). Only the user and admins may list them, with the admin scope: null (FORBIDDEN) otherwise."
    apiKeys: [ApiKey!] @requiresScopes(scopes: [["admin"]])
  }

  type UserEdge {
    node: User!
    cursor: String!
  }

  type UserConnection {
    edges: [UserEdge!]!
    pageInfo: PageInfo!
    totalCount: Int!
  }

  input UserFilter {
    "Part of the email or name, any case."
    search: String
  }

  enum UserOrderField {
    CREATED_AT
    EMAIL
    NAME
  }

  input UserOrder {
    field: UserOrderField = CREATED_AT
    direction: SortDirection = DESC
  }

  input CreateUserInput {
    email: String!
    name: String!
    isAdmin: Boolean = false
  }

  "An API key. Its secret is shown once, when it is created; only its SHA-256 is kept."
  type ApiKey @key(fields: "id") {
    id: ID!
    name: String!
    "The visible start of the secret (lab_xxxxxxxx), to recognise the key."
    prefix: String!
    "Scopes granted by the key; * grants everything the user may do."
    scopes: [String!]!
    createdAt: DateTime!
    "When the key last authenticated a request (updated at most once a minute)."
    lastUsedAt: DateTime
    expiresAt: DateTime
    revokedAt: DateTime
    "Neither revoked nor expired."
    active: Boolean!
    user: User!
  }

  input CreateApiKeyInput {
    name: String!
    "At most the scopes of the credential making the request (admin implies write and read, write implies read); defaults to them ([*] for a key with every scope)."
    scopes: [String!]
    "A future instant, no later than the expiry of the credential making the request (FORBIDDEN otherwise); defaults to that expiry, or to never for a credential that does not expire."
    expiresAt: DateTime
    "Whose key it is; defaults to the caller. Only admins may create keys for other users."
    userId: ID
  }

  type CreatedApiKey {
    apiKey: ApiKey!
    "The key itself (lab_<prefix>_<random>): shown only now, it cannot be read again."
    secret: String!
  }

  "A role in a project: VIEWER reads, EDITOR also writes, OWNER also manages members."
  enum ProjectRole {
    OWNER
    EDITOR
    VIEWER
  }

  "A project: experiments, models, datasets and prompts live in one, and access is granted per project."
  type Project @key(fields: "id") {
    id: ID!
    name: String!
    description: String!
    metadata: JSONObject!
    createdAt: DateTime!
    updatedAt: DateTime!
    createdBy: User
    "What the caller may do here: their role (OWNER for admins and services); null when not a member."
    myRole: ProjectRole
    "Members, owners first."
    members: [ProjectMember!]!
  }

  type ProjectMember {
    user: User!
    role: ProjectRole!
    createdAt: DateTime!
    updatedAt: DateTime!
  }

  type ProjectEdge {
    node: Project!
    cursor: String!
  }

  type ProjectConnection {
    edges: [ProjectEdge!]!
    pageInfo: PageInfo!
    totalCount: Int!
  }

  input ProjectFilter {
    "Part of the name or description, any case."
    search: String
    "Only projects whose metadata contains this object (JSONB containment)."
    metadataContains: JSONObject
  }

  enum ProjectOrderField {
    CREATED_AT
    UPDATED_AT
    NAME
  }

  input ProjectOrder {
    field: ProjectOrderField = CREATED_AT
    direction: SortDirection = DESC
  }

  input CreateProjectInput {
    name: String!
    description: String
    metadata: JSONObject
  }

  input UpdateProjectInput {
    name: String
    description: String
    "Replaces the metadata object."
    metadata: JSONObject
  }

  "Who an API key belongs to (for the gateway)."
  type AuthenticatedCaller @inaccessible {
    "The key's id: the gateway re-checks it, and key management checks it again when it acts."
    apiKeyId: ID!
    userId: ID!
    isAdmin: Boolean!
    scopes: [String!]!
    "When the key stops working; null: never."
    expiresAt: DateTime
  }

  enum AccessKind @inaccessible {
    PROJECT
    EXPERIMENT
    RUN
    MODEL
    MODEL_VERSION
    DATASET
    DATASET_VERSION
  }

  input OwnershipRef @inaccessible {
    kind: AccessKind!
    id: ID!
  }

  "Where an entity belongs and what the signed caller may do with it."
  type Ownership @inaccessible {
    "The entity's project; null when the entity is unknown or hidden from the caller."
    projectId: ID
    "What it hangs on: a run's experiment, a version's model or dataset, the project of an experiment, model or dataset; null for a project, and when unknown or hidden."
    parentId: ID
    "VIEWER of the project (admins and services: always); false for unknown ids."
    canRead: Boolean!
    "EDITOR of the project."
    canWrite: Boolean!
    "OWNER of the project."
    canManage: Boolean!
  }

  extend type Query {
    "The calling user; null for callers that are not users (internal services)."
    me: User @requiresScopes(scopes: [["read"]])
    "A user the caller can see (themself, users sharing a project, anyone for admins); NOT_FOUND otherwise."
    user(id: ID!): User! @requiresScopes(scopes: [["read"]])
    "Users the caller can see (newest first unless ordered otherwise)."
    users(first: Int, after: String, filter: UserFilter, orderBy: UserOrder): UserConnection! @requiresScopes(scopes: [["read"]])
    "A project the caller is a member of (any project for admins); NOT_FOUND otherwise."
    project(id: ID!): Project! @requiresScopes(scopes: [["read"]])
    "Projects the caller is a member of (all for admins)."
    projects(first: Int, after: String, filter: ProjectFilter, orderBy: ProjectOrder): ProjectConnection! @requiresScopes(scopes: [["read"]])
    "Internal (gateway): the caller a live API key authenticates, by the SHA-256 hex of the key; null when unknown, revoked or expired."
    _authenticate(keyHash: String!): AuthenticatedCaller @inaccessible
    "Internal (gateway): which of these API keys are still live (neither revoked nor expired), with their user's current rights; at most 1,000 ids."
    _liveApiKeys(ids: [ID!]!): [AuthenticatedCaller!]! @inaccessible
    "Internal (subgraphs): for each entity, its project and parent and what the signed caller may do with it; at most 1,000 refs."
    _ownership(refs: [OwnershipRef!]!): [Ownership!]! @inaccessible
  }

  extend type Mutation {
    "Admins only."
    createUser(input: CreateUserInput!): User! @requiresScopes(scopes: [["admin"]])
    "A new API key for the caller (or, for admins, another user)."
    createApiKey(input: CreateApiKeyInput!): CreatedApiKey! @requiresScopes(scopes: [["admin"]])
    "Revokes a key (its owner or an admin); revoking a revoked key changes nothing."
    revokeApiKey(id: ID!): ApiKey! @requiresScopes(scopes: [["write"]])
    "A new project; the caller becomes its OWNER."
    createProject(input: CreateProjectInput!): Project! @requiresScopes(scopes: [["write"]])
    "EDITOR or OWNER."
    updateProject(id: ID!, input: UpdateProjectInput!): Project! @requiresScopes(scopes: [["write"]])
    "OWNER only."
    addProjectMember(projectId: ID!, userId: ID!, role: ProjectRole!): ProjectMember! @requiresScopes(scopes: [["admin"]])
    "OWNER only; the last OWNER cannot be demoted (CONFLICT)."
    updateProjectMember(projectId: ID!, userId: ID!, role: ProjectRole!): ProjectMember! @requiresScopes(scopes: [["admin"]])
    "OWNER only (or a member leaving); the last OWNER cannot be removed (CONFLICT)."
    removeProjectMember(projectId: ID!, userId: ID!): Project! @requiresScopes(scopes: [["admin"]])
  }
`;
