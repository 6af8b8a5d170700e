/** Shared state across replicas through Redis (LAB_REDIS_URL): the connection every user of it opens. */
export * from './connection';
