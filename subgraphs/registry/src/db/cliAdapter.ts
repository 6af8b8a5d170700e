/**
 * The driver adapter the Prisma CLI's JS schema engine connects through
 * (prisma.config.ts). Not used by the running service.
 *
 * @prisma/adapter-pg 6.19 refuses result columns of PostgreSQL's catalog types
 * `name` and `"char"` (and their arrays), which the schema engine's own
 * catalog queries return, so every command that reads a database's schema
 * (`migrate diff --from-migrations`, `migrate deploy`, `migrate status`) fails
 * with "Column type 'name' could not be deserialized" (prisma/orm#27403).
 * Both are plain text on the wire: this client reports them as `text`, and
 * those commands work.
 */
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';

/** OIDs of name, "char", name[], "char"[] → text, text[]. */
const AS_TEXT: Record<number, number> = { 19: 25, 18: 25, 1003: 1009, 1002: 1009 };

function retype<T>(result: T): T {
  for (const one of Array.isArray(result) ? result : [result]) {
    const fields = (one as { fields?: { dataTypeID: number }[] } | undefined)?.fields;
    for (const field of fields ?? []) field.dataTypeID = AS_TEXT[field.dataTypeID] ?? field.dataTypeID;
  }
  return result;
}

class CatalogTextClient extends pg.Client {}

const originalQuery = pg.Client.prototype.query;
// Pool.query passes a callback; a checked-out client (transactions) gets a promise back.
CatalogTextClient.prototype.query = function query(this: pg.Client, ...args: unknown[]) {
  const last = args.at(-1);
  if (typeof last === 'function') {
    args[args.length - 1] = (err: unknown, res: unknown) => last(err, err ? res : retype(res));
  }
  const out: unknown = Reflect.apply(originalQuery, this, args);
  return out instanceof Promise ? out.then(retype) : out;
} as typeof originalQuery;

export function createCliAdapter(connectionString: string): PrismaPg {
  // allowExitOnIdle: the CLI never ends the pool; without it each command would
  // linger for the pool's 10 s idle timeout. (`migrate deploy` still lingers
  // ~10 s: a lock timeout timer inside the WASM engine, not ours.)
  return new PrismaPg(new pg.Pool({ connectionString, Client: CatalogTextClient, allowExitOnIdle: true }));
}
