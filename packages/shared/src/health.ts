/** Health checks run in parallel, each bounded by its own timeout. */

export type HealthCheck = (signal: AbortSignal) => Promise<unknown>;

export interface ComponentHealth {
  status: 'up' | 'down';
  latencyMs: number;
  error?: string;
  /** Anything the check returned worth showing (e.g. a subgraph's own components). */
  details?: unknown;
}

export interface HealthReport {
  status: 'up' | 'down';
  components: Record<string, ComponentHealth>;
}

export const DEFAULT_HEALTH_TIMEOUT_MS = 2000;

async function runOne(check: HealthCheck, timeoutMs: number): Promise<ComponentHealth> {
  const started = performance.now();
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`timed out after ${timeoutMs} ms`));
      controller.abort(); // after the rejection, so the timeout is what the report says
    }, timeoutMs);
  });
  try {
    const details = await Promise.race([check(controller.signal), timeout]);
    const latencyMs = Math.round((performance.now() - started) * 10) / 10;
    return details === undefined ? { status: 'up', latencyMs } : { status: 'up', latencyMs, details };
  } catch (err) {
    const latencyMs = Math.round((performance.now() - started) * 10) / 10;
    return { status: 'down', latencyMs, error: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}

/** Runs every check at once; the report is down when any component is. */
export async function checkHealth(
  checks: Record<string, HealthCheck>,
  timeoutMs: number | Record<string, number> = DEFAULT_HEALTH_TIMEOUT_MS,
): Promise<HealthReport> {
  const names = Object.keys(checks);
  const results = await Promise.all(
    names.map((name) => {
      const limit = typeof timeoutMs === 'number' ? timeoutMs : (timeoutMs[name] ?? DEFAULT_HEALTH_TIMEOUT_MS);
      return runOne(checks[name] as HealthCheck, limit);
    }),
  );
  const components = Object.fromEntries(names.map((n, i) => [n, results[i] as ComponentHealth]));
  const status = results.every((r) => r.status === 'up') ? 'up' : 'down';
  return { status, components };
}
