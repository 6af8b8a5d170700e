/**
 * The artifacts subgraph's SDL. Kept free of runtime imports beyond graphql's
 * parser: the gateway's compose script imports it as `@lab/artifacts/schema`.
 */
import { DATE_TIME_SDL, PAGE_INFO_SDL, STORE_STATUS_SDL } from '@lab/shared/subgraph';
import { parse } from 'graphql';

export const typeDefs = parse(/* GraphQL */ `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable", "@requiresScopes"])

  ${STORE_STATUS_SDL}

  ${PAGE_INFO_SDL}

  ${DATE_TIME_SDL}

  type Query {
    artifactsStatus: StoreStatus! @requiresScopes(scopes: [["read"]])
    "A file by id; NOT_FOUND when it does not exist or the caller may not read its owner."
    artifact(id: ID!): Artifact! @requiresScopes(scopes: [["read"]])
  }

  "What a file belongs to; each has its own prefix in the bucket (docs/artifacts.md)."
  enum ArtifactOwnerKind {
    "A run's outputs: experiments/{experiment id}/runs/{run id}/outputs/"
    RUN
    "A dataset version's files: datasets/{dataset id}/{version id}/"
    DATASET_VERSION
    "A model version's artifacts: models/{model id}/artifacts/{version id}/"
    MODEL_VERSION
  }

  "A file in S3. Its bytes never pass through the platform: downloadUrl hands out a presigned GET."
  type Artifact @key(fields: "id") {
    "Opaque; names the object and, where the server versions objects, the version."
    id: ID!
    ownerKind: ArtifactOwnerKind!
    ownerId: ID!
    "Set when the owner is a run."
    run: Run
    "Set when the owner is a dataset version."
    datasetVersion: DatasetVersion
    "Set when the owner is a model version."
    modelVersion: ModelVersion
    "Path under the owner, e.g. checkpoint-1000/model.safetensors."
    name: String!
    "The S3 object key."
    key: String!
    "Bytes (Float: may pass 2^31; exact to 2^53)."
    sizeBytes: Float!
    contentType: String
    "sha256:<64 hex>, when the uploader declared it (completeUpload verified it)."
    checksum: String
    "S3's ETag (an MD5 for single PUTs; a digest of the parts' for multipart uploads)."
    etag: String!
    "The S3 version id; null where the server does not version objects (the embedded one does not)."
    versionId: String
    lastModified: DateTime!
    "Id of the user (or service) that requested the upload."
    uploadedBy: String
    "A presigned GET that downloads the file under its name; expiresIn 1 to 3600 seconds (default 900). Needs READ on the owner."
    downloadUrl(expiresIn: Int = 900): String!
  }

  type ArtifactEdge {
    node: Artifact!
    cursor: String!
  }

  type ArtifactConnection {
    edges: [ArtifactEdge!]!
    pageInfo: PageInfo!
    "Files under the owner (lists the whole prefix: ask only when needed)."
    totalCount: Int!
  }

  type Run @key(fields: "id") {
    id: ID!
    "Files of the run's outputs, by name; first 0 to 1000 (default 100). Null (NOT_FOUND) when the caller may not read the run."
    outputs(first: Int = 100, after: String): ArtifactConnection
  }

  type DatasetVersion @key(fields: "id") {
    id: ID!
    "Files of the version, by name; first 0 to 1000 (default 100). Null (NOT_FOUND) when the caller may not read it."
    files(first: Int = 100, after: String): ArtifactConnection
  }

  type ModelVersion @key(fields: "id") {
    id: ID!
    "Files of the version, by name; first 0 to 1000 (default 100). Null (NOT_FOUND) when the caller may not read it."
    artifacts(first: Int = 100, after: String): ArtifactConnection
  }

  input RequestUploadInput {
    ownerKind: ArtifactOwnerKind!
    ownerId: ID!
    """
    Path under the owner: segments separated by "/" of letters, digits and marks of any script,
    space and . _ - + = @ , ~ ( ); no "." or ".." segment, no leading "/", NFC and NFKC-stable,
    at most 255 characters a segment and 512 bytes in all (docs/artifacts.md).
    """
    name: String!
    "Media type sent with the PUT (default application/octet-stream)."
    contentType: String
    "Exact size in bytes, 0 to 5 TiB."
    sizeBytes: Float!
    "sha256:<64 hex>; completeUpload then verifies the uploaded bytes against it."
    checksum: String
    "Seconds the upload URLs stay valid: 60 to 43,200 (default 3,600). More part URLs: uploadPartUrls."
    expiresIn: Int
    "Replace a file of the same name (CONFLICT otherwise). With versioning the old bytes stay as an older version; without (the embedded server) they are gone."
    overwrite: Boolean = false
  }

  enum UploadMethod {
    "One PUT of the whole file to url, with the headers listed."
    SINGLE
    "PUT each part to its URL; keep each answer's ETag header for completeUpload."
    MULTIPART
  }

  type HttpHeader {
    name: String!
    value: String!
  }

  type UploadPartUrl {
    "1 to 10,000."
    partNumber: Int!
    "Bytes of this part: partSize, the last one the rest."
    sizeBytes: Float!
    url: String!
  }

  type UploadPlan {
    "Opaque; pass it to uploadPartUrls, completeUpload or abortUpload."
    uploadId: ID!
    method: UploadMethod!
    key: String!
    name: String!
    "SINGLE: where to PUT the file."
    url: String
    "Headers the PUT must carry (SINGLE)."
    headers: [HttpHeader!]!
    "MULTIPART: bytes per part (the last part may be smaller)."
    partSize: Float
    partCount: Int
    "MULTIPART: URLs of the first parts (up to 100); uploadPartUrls gives the others."
    parts: [UploadPartUrl!]!
    "When these URLs stop working."
    expiresAt: DateTime!
    "completeUpload must come before this; abandoned multipart uploads are aborted after a day."
    completeBy: DateTime!
  }

  input CompletedPartInput {
    partNumber: Int!
    "The ETag header the part's PUT answered."
    etag: String!
  }

  type SweepResult {
    "Multipart uploads aborted."
    aborted: Int!
    "Whether the server's own list of uploads was searched too (S3, MinIO; not the embedded server)."
    serverListed: Boolean!
  }

  type Mutation {
    "Presigned URL(s) to upload a file straight to S3: one PUT up to the multipart threshold (64 MiB by default), parts above. Needs EDITOR on the owner."
    requestUpload(input: RequestUploadInput!): UploadPlan! @requiresScopes(scopes: [["write"]])
    "URLs of parts firstPart .. firstPart + count - 1 (count 1 to 1000, default 100) of a multipart upload."
    uploadPartUrls(uploadId: ID!, firstPart: Int = 1, count: Int = 100, expiresIn: Int): [UploadPartUrl!]! @requiresScopes(scopes: [["write"]])
    "Checks the uploaded object (size; SHA-256 when declared), completes a multipart upload with its parts' ETags, and answers the file. A mismatching upload is deleted (BAD_USER_INPUT)."
    completeUpload(uploadId: ID!, parts: [CompletedPartInput!]): Artifact! @requiresScopes(scopes: [["write"]])
    "Cancels a multipart upload (its parts are dropped); for a single PUT nothing is stored, the URL simply expires."
    abortUpload(uploadId: ID!): Boolean! @requiresScopes(scopes: [["write"]])
    "Admins: aborts multipart uploads started more than olderThanHours (default 24) ago. The service also runs it periodically."
    sweepIncompleteUploads(olderThanHours: Float = 24): SweepResult! @requiresScopes(scopes: [["admin"]])
  }
`);
