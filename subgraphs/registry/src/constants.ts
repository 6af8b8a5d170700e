/**
 * Fixed identities of the registry, importable without loading Prisma
 * (re-exported by ./schema, i.e. `@lab/registry/schema`).
 */

/** The user LAB_ADMIN_API_KEY authenticates as: the gateway signs callers with this id. */
export { BOOTSTRAP_ADMIN_ID } from '@lab/shared/topology';
export const BOOTSTRAP_ADMIN_EMAIL = 'admin@lab.local';
export const BOOTSTRAP_ADMIN_NAME = 'Bootstrap admin';
