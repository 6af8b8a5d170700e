/**
 * What the catalog entities with gapless numbered versions and aliases (models,
 * prompt templates) share: the issue of the next version number, the aliases
 * under a parent or a version, and the audited change of an alias.
 */
import { Prisma, type PrismaClient } from '../generated/prisma/client';
import type { AuditRecord, Tx } from './auditedStore';
import { CatalogStore, rowsByParents } from './catalogStore';

/** Interactive transactions that wait in line behind a row lock: roomier limits than Prisma's defaults. */
export const TX_OPTIONS = { maxWait: 15_000, timeout: 20_000 } as const;

/**
 * Issues the next version number of a model or prompt template. The UPDATE
 * takes the parent row's lock, so concurrent callers queue and each gets the
 * next number; run inside the transaction that inserts the version, so a failed
 * insert rolls the bump back and numbers have no gaps. Undefined when the
 * parent is gone.
 */
export async function nextVersion(
  tx: Pick<PrismaClient, '$queryRaw'>,
  table: 'models' | 'prompt_templates',
  id: string,
): Promise<{ version: number; projectId: string } | undefined> {
  const bumped = await tx.$queryRaw<{ latest_version: number; project_id: string }[]>`
    UPDATE ${Prisma.raw(table)} SET latest_version = latest_version + 1, updated_at = now()
    WHERE id = ${id}::uuid
    RETURNING latest_version, project_id::text AS project_id`;
  const row = bumped[0];
  return row && { version: row.latest_version, projectId: row.project_id };
}

/**
 * The aliases of numbered versions (models, prompt templates), in alias order, under each id asked of one column:
 * the parent's (all its aliases) or the version's (the aliases pointing at it).
 */
export function aliasesBy<A>(
  ids: readonly string[],
  column: keyof A & string,
  find: (where: Record<string, { in: string[] }>) => Promise<A[]>,
): Promise<A[][]> {
  return rowsByParents(
    ids,
    (wanted) => find({ [column]: { in: wanted } }),
    (row) => row[column] as string | null,
  );
}

/** Whether a deleteMany deleted anything. */
export const deleted = (result: { count: number }): boolean => result.count > 0;

/** An audit event about a catalog entity, but for its change. */
export type CatalogEvent = Omit<AuditRecord, 'change'>;

/** A catalog store whose entities have numbered versions and aliases. */
export abstract class NumberedCatalogStore extends CatalogStore {
  /**
   * Sets (upserts) or deletes an alias in one transaction with its audit event (`event` names the parent);
   * the event is recorded only when `changed` says the write changed something.
   */
  protected aliasAudited<T>(
    event: (tx: Tx) => CatalogEvent | Promise<CatalogEvent>,
    change: Record<string, unknown>,
    write: (tx: Tx) => Promise<T>,
    changed: (result: T) => boolean = () => true,
  ): Promise<T> {
    return this.withAudit(async (tx, audit) => {
      const result = await write(tx);
      if (changed(result)) audit({ ...(await event(tx)), change });
      return result;
    });
  }
}
