/**
 * Prisma CLI configuration: the JS schema engine over @prisma/adapter-pg.
 * The native engines are downloaded at first use, which fails offline; with
 * the JS engine nothing is downloaded. What works (Prisma 6.19, offline):
 *   prisma generate                       no database needed
 *   prisma migrate diff ... --script      needs a reachable PostgreSQL (DATABASE_URL), even
 *                                         between two files: the engine checks the server first
 *     --from-migrations                   replays the migrations INTO the DATABASE_URL database
 *                                         (no separate shadow database): point it at a scratch one
 *     --from-url, --from-schema-datasource  refused by the CLI when an adapter is configured
 *   prisma migrate status / deploy        work through the adapter's catalog-type fix
 *                                         (src/db/cliAdapter.ts); deploy lingers ~10 s at exit
 * New migrations: `npx tsx subgraphs/registry/src/db/newMigration.ts <name>` (does the
 * diff on a throwaway server). The service applies migrations itself (src/db/migrate.ts).
 */
import { defineConfig } from 'prisma/config';
import { createCliAdapter } from './subgraphs/registry/src/db/cliAdapter';

// schema.prisma's datasource must name a url although the adapter is what
// connects. With DATABASE_URL unset, env("DATABASE_URL") fails, the CLI falls
// back to the native query engine and tries to download it: a placeholder
// keeps `prisma generate` offline. It points nowhere on purpose (port 1), so a
// command that does connect says "Can't reach database server at 127.0.0.1:1"
// rather than quietly using a running platform's database.
// (Read through `env`: the CLI, not turbo, is what depends on it.)
const env = process.env;
env.DATABASE_URL ??= 'postgresql://unset:unset@127.0.0.1:1/set_DATABASE_URL';
const url = env.DATABASE_URL;

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  experimental: { adapter: true },
  engine: 'js',
  adapter: async () => createCliAdapter(url),
});
