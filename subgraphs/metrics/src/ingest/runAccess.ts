/**
 * Per request: which experiment a run belongs to, and whether the caller may
 * write it — asked of the registry, batched (DataLoader) and cached for the
 * request. The experiment id comes from the registry's public
 * `run(id) { experiment { id } }`, called with the forwarded caller's signed
 * context (NOT_FOUND when the run is unknown or hidden from the caller);
 * write permission from its `_canAccess` through createRegistryAccess.
 */
import type { Caller } from '@lab/shared';
import {
  createRegistryAccess,
  createServiceClient,
  lookupIndexOf,
  ServiceUnreachableError,
  serviceUnavailable,
} from '@lab/shared/internal';
import DataLoader from 'dataloader';

export type RunVerdict = { ok: true; experimentId: string } | { ok: false; code: 'NOT_FOUND' | 'FORBIDDEN'; reason: string };

export interface RunAccessOptions {
  registryUrl: string;
  internalSecret: string;
  requestId: string;
  caller: Caller;
  timeoutMs?: number;
}

export interface RunAccess {
  /** Experiment of the run when the caller may write it; else why not. */
  check(runId: string): Promise<RunVerdict>;
  /** The run's experiment when the caller may read the run; null when it is unknown or hidden. */
  experimentOf(runId: string): Promise<string | null>;
}

export function createRunAccess(options: RunAccessOptions): RunAccess {
  const access = createRegistryAccess(options);
  const client = createServiceClient(options);
  const call = { caller: options.caller, requestId: options.requestId, timeoutMs: options.timeoutMs ?? 5_000 };
  const unavailable = (reason: string) => serviceUnavailable('registry', 'look runs up in the registry', reason);

  /** Experiment id per run id, null when the registry says NOT_FOUND. */
  async function experiments(ids: readonly string[]): Promise<(string | null)[]> {
    const lookups = ids.map((id) => ({ field: 'run(id: $v) { experiment { id } }', type: 'ID!', value: id }));
    let answer: Awaited<ReturnType<typeof client.lookups<{ experiment?: { id?: string } | null }>>>;
    try {
      answer = await client.lookups<{ experiment?: { id?: string } | null }>(
        options.registryUrl,
        'MetricsRunExperiments',
        lookups,
        call,
      );
    } catch (err) {
      throw unavailable(err instanceof ServiceUnreachableError && err.timedOut ? 'timed out' : 'unreachable');
    }
    if (!answer.answered) throw unavailable(`unreadable answer (HTTP ${answer.status})`);
    const out: (string | null | undefined)[] = answer.answers.map((a) => a?.experiment?.id);
    for (const error of answer.errors) {
      const i = lookupIndexOf(error);
      if (i >= 0 && (error.extensions?.code === 'NOT_FOUND' || error.extensions?.code === 'BAD_USER_INPUT')) out[i] = null;
      else throw unavailable(error.message ?? 'error');
    }
    // A NOT_FOUND on a non-null root field nulls the whole data: ask again for the rest.
    const missing = ids.filter((_, i) => out[i] === undefined);
    if (missing.length > 0 && missing.length < ids.length) {
      const again = await experiments(missing);
      let k = 0;
      for (let i = 0; i < ids.length; i++) if (out[i] === undefined) out[i] = again[k++] ?? null;
    }
    return out.map((v) => v ?? null);
  }

  const loader = new DataLoader<string, string | null>((ids) => experiments(ids), {
    cacheKeyFn: (id) => id.toLowerCase(),
    maxBatchSize: 100,
  });

  return {
    async check(runId) {
      const [experimentId, writable] = await Promise.all([loader.load(runId), access.canWrite('RUN', runId)]);
      if (!experimentId) return { ok: false, code: 'NOT_FOUND', reason: `run ${runId} not found` };
      if (!writable) return { ok: false, code: 'FORBIDDEN', reason: `no write access to run ${runId}` };
      return { ok: true, experimentId };
    },
    experimentOf: (runId) => loader.load(runId),
  };
}
