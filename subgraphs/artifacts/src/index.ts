/**
 * What other packages use of the artifacts subgraph: the service, its schema and resolvers, its store (the bucket
 * and the backups in it) and its S3 client.
 */
export { createResolvers } from './resolvers';
export { typeDefs } from './schema';
export { type RunningArtifacts, startArtifacts } from './service';
export { ArtifactsStore, openArtifactsStore, type StoreStatus } from './store/artifactsStore';
export { backupKey, type StoredBackup } from './store/backupsStore';
export { type BucketCapabilities, ensureBucket } from './store/bucket';
export { LIFECYCLE_RULES } from './store/lifecycle';
export { createS3 } from './store/s3Client';
