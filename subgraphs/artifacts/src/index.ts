export { createResolvers } from './resolvers';
export { typeDefs } from './schema';
export { type RunningArtifacts, startArtifacts } from './service';
export { ArtifactsStore, openArtifactsStore, type StoreStatus } from './store/artifactsStore';
export { type BucketCapabilities, ensureBucket } from './store/bucket';
export { LIFECYCLE_RULES } from './store/lifecycle';
export { createS3 } from './store/s3Client';
