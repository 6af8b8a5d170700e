/**
 * Per request: which experiment a run belongs to, and whether the caller may
 * read or write it. Both come from one registry lookup (the registry's
 * `_ownership` through the request's RegistryAccess: batched per tick, cached
 * for the request), so a check asks the registry once. Unknown runs and runs
 * hidden from the caller look alike: NOT_FOUND.
 */
import type { RegistryAccess } from '@lab/shared/internal';

export type RunVerdict = { ok: true; experimentId: string } | { ok: false; code: 'NOT_FOUND' | 'FORBIDDEN'; reason: string };

export interface RunAccess {
  /** Experiment of the run when the caller may write it; else why not. */
  check(runId: string): Promise<RunVerdict>;
  /** The run's experiment when the caller may read the run; null when it is unknown or hidden. */
  experimentOf(runId: string): Promise<string | null>;
}

export function createRunAccess(access: RegistryAccess): RunAccess {
  async function experimentOf(runId: string): Promise<string | null> {
    const run = await access.ownership('RUN', runId);
    return run.canRead ? run.parentId : null;
  }
  return {
    async check(runId) {
      const run = await access.ownership('RUN', runId);
      if (!run.canRead || !run.parentId) return { ok: false, code: 'NOT_FOUND', reason: `run ${runId} not found` };
      if (!run.canWrite) return { ok: false, code: 'FORBIDDEN', reason: `no write access to run ${runId}` };
      return { ok: true, experimentId: run.parentId };
    },
    experimentOf,
  };
}
