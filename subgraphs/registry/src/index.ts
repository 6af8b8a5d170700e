export { BOOTSTRAP_ADMIN_EMAIL, BOOTSTRAP_ADMIN_ID } from './constants';
export { createContext, type RegistryContext } from './context';
export { type MigrateLog, type MigrateOptions, MigrationStateError, migrate } from './db/migrate';
export { listMigrations, MIGRATIONS_DIR, type MigrationFile } from './db/migrations';
export { createResolvers } from './resolvers';
export { typeDefs } from './schema';
export { type RunningRegistry, startRegistry } from './service';
export { openRegistryStore, RegistryStore, type StoreStatus, type User } from './store/registryStore';
