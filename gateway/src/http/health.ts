/**
 * GET /health of the platform: asks every subgraph for its /health at once
 * (each bounded by its own timeout) and reports each subgraph and each store,
 * the store as its owning subgraph saw it. A subgraph counts as up when it
 * answers with a health report, even a 503 one: its store's own status then
 * says what is wrong. A subgraph that does not answer takes its store down too.
 * Only statuses, latencies and short error strings leave: no URLs, no details.
 * /health answers without authentication, so a store's error as its owner
 * reported it (a driver's text may carry a host:port) leaves only when it
 * shows no address, route or stack; otherwise it reads "unavailable" and the
 * owner's log has the rest.
 */
import { type ComponentHealth, checkHealth, mentionsInternals } from '@lab/shared';
import { STORE_OWNERS, SUBGRAPH_NAMES, type SubgraphName } from '../constants';

export const DEFAULT_SUBGRAPH_HEALTH_TIMEOUT_MS = 3000;

export interface PlatformHealth {
  status: 'up' | 'down';
  components: Record<string, ComponentHealth>;
}

interface SubgraphReport {
  status: unknown;
  components: Record<string, Partial<ComponentHealth> | undefined>;
}

/** http://host:port/graphql → http://host:port/health (keeps any path prefix before /graphql). */
export function healthUrlOf(graphqlUrl: string): string {
  const url = new URL(graphqlUrl);
  url.pathname = `${url.pathname.replace(/\/graphql\/?$/, '').replace(/\/$/, '')}/health`;
  url.search = '';
  return url.toString();
}

/** The short reason a fetch failed, without the address it tried. */
function reasonOf(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown } } | undefined)?.cause;
  if (typeof cause?.code === 'string') return cause.code;
  return err instanceof Error ? err.message : String(err);
}

async function fetchReport(url: string, signal: AbortSignal): Promise<SubgraphReport> {
  let res: Response;
  try {
    res = await fetch(healthUrlOf(url), { signal, headers: { accept: 'application/json' } });
  } catch (err) {
    throw new Error(`connection failed (${reasonOf(err)})`);
  }
  const body = (await res.json().catch(() => undefined)) as Partial<SubgraphReport> | undefined;
  if (typeof body?.components !== 'object' || body.components === null) {
    throw new Error(`answered HTTP ${res.status} without a health report`);
  }
  return { status: body.status, components: body.components };
}

/** A store's error as the public /health may show it. */
function publicStoreError(error: string, owner: SubgraphName): string {
  return mentionsInternals(error) ? `unavailable (the ${owner} service's log has the details)` : error;
}

function storeHealth(store: string, owner: SubgraphName, subgraph: ComponentHealth): ComponentHealth {
  if (subgraph.status === 'down') {
    return { status: 'down', latencyMs: subgraph.latencyMs, error: `subgraph ${owner} is unreachable: ${subgraph.error}` };
  }
  const reported = (subgraph.details as SubgraphReport).components[store];
  if (!reported || (reported.status !== 'up' && reported.status !== 'down')) {
    return { status: 'down', latencyMs: subgraph.latencyMs, error: `subgraph ${owner} did not report ${store}` };
  }
  const latencyMs = typeof reported.latencyMs === 'number' ? reported.latencyMs : subgraph.latencyMs;
  const error = typeof reported.error === 'string' ? { error: publicStoreError(reported.error, owner) } : {};
  return { status: reported.status, latencyMs, ...error };
}

export async function platformHealth(
  urls: Record<SubgraphName, string>,
  timeoutMs: number = DEFAULT_SUBGRAPH_HEALTH_TIMEOUT_MS,
): Promise<PlatformHealth> {
  const checks = Object.fromEntries(
    SUBGRAPH_NAMES.map((name) => [name, (signal: AbortSignal) => fetchReport(urls[name], signal)]),
  );
  const report = await checkHealth(checks, timeoutMs);
  const components: Record<string, ComponentHealth> = {};
  for (const name of SUBGRAPH_NAMES) {
    const { details: _details, ...subgraph } = report.components[name] as ComponentHealth;
    components[name] = subgraph;
  }
  for (const [store, owner] of Object.entries(STORE_OWNERS)) {
    components[store] = storeHealth(store, owner, report.components[owner] as ComponentHealth);
  }
  const status = Object.values(components).every((c) => c.status === 'up') ? 'up' : 'down';
  return { status, components };
}
