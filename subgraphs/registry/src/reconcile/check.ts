/** What each of the reconciler's checks works with, and how it records a repair. */
import { type Logger, publicReason, type WithPublicMessage } from '@lab/shared';
import type { StoreServices } from '../sagas/storeServices';
import type { RegistryStore } from '../store/registryStore';
import type { Finding } from './report';

/** Thrown by a repair that must not or cannot be done: the finding stays, with why (written for clients). */
export class NotRepaired extends Error implements WithPublicMessage {
  get publicMessage(): string {
    return this.message;
  }
}

export interface CheckContext {
  /** The registry store, acting as the system (its repairs are audited so). */
  store: RegistryStore;
  services: StoreServices;
  repair: boolean;
  graceMs: number;
  /** When the run started: the scans began after it, so rows changed later are left for the next run. */
  startedAt: Date;
  log: Logger;
}

/** Ids per database query in the checks' batched lookups. */
export const LOOKUP_BATCH = 1000;

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Findings over every row of a keyset-paged table: `page(after)` answers up to
 * LOOKUP_BATCH rows after the id given, `check` a finding or undefined.
 */
export async function findInPages<T extends { id: string }>(
  page: (after: string | undefined) => Promise<T[]>,
  check: (row: T) => Promise<Finding | undefined>,
): Promise<Finding[]> {
  const findings: Finding[] = [];
  let after: string | undefined;
  for (;;) {
    const rows = await page(after);
    for (const row of rows) {
      const finding = await check(row);
      if (finding) findings.push(finding);
    }
    if (rows.length < LOOKUP_BATCH) return findings;
    after = rows.at(-1)?.id;
  }
}

/**
 * Runs a finding's repair when the run repairs: `work` answers what it did
 * (added to the detail), or throws. A failed repair is logged and leaves the
 * finding unrepaired with the reason; it never stops the run.
 */
export async function repairFinding(ctx: CheckContext, finding: Finding, work: () => Promise<string>): Promise<Finding> {
  if (!ctx.repair) return finding;
  try {
    const done = await work();
    ctx.log.info({ kind: finding.kind, entityType: finding.entityType, entityId: finding.entityId, done }, 'reconciler repaired');
    return { ...finding, detail: `${finding.detail}; ${done}`, repaired: true };
  } catch (err) {
    // The report reaches clients (Mutation.reconcile): the reason in the platform's words, the detail in the log.
    const reason = publicReason(err, 'an unexpected failure (see the registry log)');
    if (err instanceof NotRepaired) return { ...finding, detail: `${finding.detail}; not repaired: ${reason}` };
    ctx.log.warn({ err, kind: finding.kind, entityId: finding.entityId }, 'reconciler repair failed');
    return { ...finding, detail: `${finding.detail}; repair failed: ${reason}` };
  }
}
