/**
 * Access checks for subgraphs that do not own project data (metrics,
 * artifacts): may this caller read or write that run, dataset version, ...?
 * The registry answers, for the end user's caller forwarded in the signed
 * context, through its internal field `Query._canAccess(checks)`.
 *
 * Create one client per request: checks made in the same tick go out as one
 * POST (a DataLoader), and each answer is cached for the request. Unknown ids
 * answer false, like ids the caller may not see. The registry being down or
 * failing is SERVICE_UNAVAILABLE. Sent by the signed client (serviceClient.ts).
 */
import DataLoader from 'dataloader';
import type { Caller } from '../callerContext';
import { createServiceClient, ServiceUnreachableError, serviceUnavailable } from './serviceClient';

export type AccessKind = 'PROJECT' | 'EXPERIMENT' | 'RUN' | 'MODEL' | 'MODEL_VERSION' | 'DATASET' | 'DATASET_VERSION';
/** READ: VIEWER, WRITE: EDITOR, MANAGE: OWNER of the entity's project (admins and services: always). */
export type AccessNeed = 'READ' | 'WRITE' | 'MANAGE';

export interface AccessCheck {
  kind: AccessKind;
  id: string;
  need: AccessNeed;
}

export const CAN_ACCESS_QUERY = 'query CanAccess($checks: [AccessCheck!]!) { _canAccess(checks: $checks) }';

/** The registry answers at most this many checks per call; larger batches are split. */
export const MAX_CHECKS_PER_CALL = 1000;

export interface RegistryAccessOptions {
  /** The registry subgraph's GraphQL URL (config.subgraphUrls.registry). */
  registryUrl: string;
  internalSecret: string;
  requestId: string;
  /** Whose access is checked: the caller of the request being served. */
  caller: Caller;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export interface RegistryAccess {
  canRead(kind: AccessKind, id: string): Promise<boolean>;
  canWrite(kind: AccessKind, id: string): Promise<boolean>;
  /** Whether the caller is an OWNER of the entity's project. */
  canManage(kind: AccessKind, id: string): Promise<boolean>;
  /** Any check; batched with the others. */
  can(check: AccessCheck): Promise<boolean>;
}

export function createRegistryAccess(options: RegistryAccessOptions): RegistryAccess {
  const client = createServiceClient(options);
  const call = { caller: options.caller, requestId: options.requestId, timeoutMs: options.timeoutMs ?? 5_000 };

  async function ask(checks: readonly AccessCheck[]): Promise<boolean[]> {
    const unavailable = (reason: string) => serviceUnavailable('registry', 'check access with the registry', reason);
    let answer: Awaited<ReturnType<typeof client.graphql<{ _canAccess?: unknown }>>>;
    try {
      answer = await client.graphql<{ _canAccess?: unknown }>(options.registryUrl, CAN_ACCESS_QUERY, { checks }, call);
    } catch (err) {
      throw unavailable(err instanceof ServiceUnreachableError && err.timedOut ? 'timed out' : 'unreachable');
    }
    const { status, body } = answer;
    if (!body) throw unavailable(`unreadable answer (HTTP ${status})`);
    const answers = body.data?._canAccess;
    const ok = status >= 200 && status < 300;
    if (!ok || body.errors?.length || !Array.isArray(answers) || answers.length !== checks.length) {
      throw unavailable(`HTTP ${status}${body.errors?.[0]?.message ? `: ${body.errors[0].message}` : ''}`);
    }
    return answers.map((a) => a === true);
  }

  const loader = new DataLoader<AccessCheck, boolean, string>((checks) => ask(checks), {
    cacheKeyFn: (c) => `${c.kind}:${c.need}:${c.id.toLowerCase()}`,
    maxBatchSize: MAX_CHECKS_PER_CALL,
  });

  return {
    can: (check) => loader.load(check),
    canRead: (kind, id) => loader.load({ kind, id, need: 'READ' }),
    canWrite: (kind, id) => loader.load({ kind, id, need: 'WRITE' }),
    canManage: (kind, id) => loader.load({ kind, id, need: 'MANAGE' }),
  };
}
