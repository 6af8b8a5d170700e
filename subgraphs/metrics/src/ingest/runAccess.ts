/**
 * Per request: which experiment a run belongs to, and whether the caller may
 * write it — asked of the registry, batched (DataLoader) and cached for the
 * request. The experiment id comes from the registry's public
 * `run(id) { experiment { id } }`, called with the forwarded caller's signed
 * context (NOT_FOUND when the run is unknown or hidden from the caller);
 * write permission from its `_canAccess` through createRegistryAccess.
 */
import { type Caller, labError, signedJsonHeaders } from '@lab/shared';
import { createRegistryAccess } from '@lab/shared/internal';
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

interface GqlAnswer {
  data?: Record<string, { experiment?: { id?: string } | null } | null> | null;
  errors?: { message?: string; path?: (string | number)[]; extensions?: { code?: string } }[];
}

export function createRunAccess(options: RunAccessOptions): RunAccess {
  const access = createRegistryAccess(options);
  const timeoutMs = options.timeoutMs ?? 5_000;
  const unavailable = (reason: string) =>
    labError('SERVICE_UNAVAILABLE', `Cannot look runs up in the registry: ${reason}`, { service: 'registry' });

  async function post(ids: readonly string[]): Promise<GqlAnswer> {
    const vars = ids.map((_, i) => `$i${i}: ID!`).join(', ');
    const fields = ids.map((_, i) => `r${i}: run(id: $i${i}) { experiment { id } }`).join(' ');
    const query = `query MetricsRunExperiments(${vars}) { ${fields} }`;
    const variables = Object.fromEntries(ids.map((id, i) => [`i${i}`, id]));
    let response: Response;
    try {
      response = await fetch(options.registryUrl, {
        method: 'POST',
        headers: signedJsonHeaders(options.internalSecret, { requestId: options.requestId, caller: options.caller, query }),
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw unavailable(err instanceof Error && err.name === 'TimeoutError' ? 'timed out' : 'unreachable');
    }
    try {
      return (await response.json()) as GqlAnswer;
    } catch {
      throw unavailable(`unreadable answer (HTTP ${response.status})`);
    }
  }

  /** Experiment id per run id, null when the registry says NOT_FOUND. */
  async function experiments(ids: readonly string[]): Promise<(string | null)[]> {
    const answer = await post(ids);
    const out: (string | null | undefined)[] = ids.map((_, i) => answer.data?.[`r${i}`]?.experiment?.id);
    for (const error of answer.errors ?? []) {
      const alias = error.path?.[0];
      const i = typeof alias === 'string' && /^r\d+$/.test(alias) ? Number(alias.slice(1)) : -1;
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
