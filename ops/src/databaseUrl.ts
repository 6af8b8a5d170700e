/**
 * The registry's database as ops commands reach it: DATABASE_URL, else the
 * embedded PostgreSQL of a running `npm start` (LAB_POSTGRES_PORT).
 */
import type { Config } from '@lab/shared';
import { EMBEDDED_DATABASE, EMBEDDED_PG_PASSWORD, EMBEDDED_PG_USER } from '@lab/stack';

export function databaseUrlOf(config: Config): string {
  return (
    config.postgres.url ??
    `postgresql://${EMBEDDED_PG_USER}:${EMBEDDED_PG_PASSWORD}@127.0.0.1:${config.ports.postgres}/${EMBEDDED_DATABASE}`
  );
}
