/**
 * Ownership checks for subgraphs that do not own project data (metrics,
 * artifacts): where does this run, dataset version, ... belong (its project and
 * parent), and may this caller read, write or manage it? The registry answers,
 * for the end user's caller forwarded in the signed context, through its
 * internal field `Query._ownership(refs)`: one field for both questions, so a
 * request that needs an entity's parent and the caller's rights on it makes
 * one registry call.
 *
 * Create one client per request: lookups made in the same tick go out as one
 * POST (a DataLoader), and each answer is cached for the request only, so
 * rights are those of the moment of use. Unknown ids answer like ids the caller
 * may not see (no project, no rights). The registry being down or failing is
 * SERVICE_UNAVAILABLE. Sent by the signed client (serviceClient.ts).
 */
import DataLoader from 'dataloader';
import type { Caller } from '../callerContext';
import { createServiceClient, ServiceUnreachableError, serviceUnavailable } from './serviceClient';

export type AccessKind = 'PROJECT' | 'EXPERIMENT' | 'RUN' | 'MODEL' | 'MODEL_VERSION' | 'DATASET' | 'DATASET_VERSION';

export interface OwnershipRef {
  kind: AccessKind;
  id: string;
}

/** An entity's place and the caller's rights on it; projectId and parentId are null when it is unknown or hidden. */
export interface Ownership {
  projectId: string | null;
  /** A run's experiment, a version's model or dataset, the project of an experiment, model or dataset. */
  parentId: string | null;
  /** VIEWER of the project (admins and services: always). */
  canRead: boolean;
  /** EDITOR of the project. */
  canWrite: boolean;
  /** OWNER of the project. */
  canManage: boolean;
}

export const OWNERSHIP_QUERY =
  'query Ownership($refs: [OwnershipRef!]!) { _ownership(refs: $refs) { projectId parentId canRead canWrite canManage } }';

/** The registry answers at most this many refs per call; larger batches are split. */
export const MAX_REFS_PER_CALL = 1000;

export interface RegistryAccessOptions {
  /** The registry subgraph's GraphQL URL (config.subgraphUrls.registry). */
  registryUrl: string;
  internalSecret: string;
  requestId: string;
  /** Whose rights are checked: the caller of the request being served. */
  caller: Caller;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export interface RegistryAccess {
  /** The entity's place and the caller's rights; batched with the other lookups of the tick. */
  ownership(kind: AccessKind, id: string): Promise<Ownership>;
  canRead(kind: AccessKind, id: string): Promise<boolean>;
  canWrite(kind: AccessKind, id: string): Promise<boolean>;
  /** Whether the caller is an OWNER of the entity's project. */
  canManage(kind: AccessKind, id: string): Promise<boolean>;
}

function isOwnership(value: unknown): value is Ownership {
  const o = value as Ownership | null;
  return (
    typeof o === 'object' &&
    o !== null &&
    typeof o.canRead === 'boolean' &&
    typeof o.canWrite === 'boolean' &&
    typeof o.canManage === 'boolean'
  );
}

export function createRegistryAccess(options: RegistryAccessOptions): RegistryAccess {
  const client = createServiceClient(options);
  const call = { caller: options.caller, requestId: options.requestId, timeoutMs: options.timeoutMs ?? 5_000 };

  async function ask(refs: readonly OwnershipRef[]): Promise<Ownership[]> {
    const unavailable = (reason: string) => serviceUnavailable('registry', 'check access with the registry', reason);
    let answer: Awaited<ReturnType<typeof client.graphql<{ _ownership?: unknown }>>>;
    try {
      answer = await client.graphql<{ _ownership?: unknown }>(options.registryUrl, OWNERSHIP_QUERY, { refs }, call);
    } catch (err) {
      throw unavailable(err instanceof ServiceUnreachableError && err.timedOut ? 'timed out' : 'unreachable');
    }
    const { status, body } = answer;
    if (!body) throw unavailable(`unreadable answer (HTTP ${status})`);
    const answers = body.data?._ownership;
    const ok = status >= 200 && status < 300;
    if (!ok || body.errors?.length || !Array.isArray(answers) || answers.length !== refs.length) {
      throw unavailable(`HTTP ${status}${body.errors?.[0]?.message ? `: ${body.errors[0].message}` : ''}`);
    }
    if (!answers.every(isOwnership)) throw unavailable('unreadable answer');
    return answers.map((a) => ({
      projectId: a.projectId ?? null,
      parentId: a.parentId ?? null,
      canRead: a.canRead,
      canWrite: a.canWrite,
      canManage: a.canManage,
    }));
  }

  const loader = new DataLoader<OwnershipRef, Ownership, string>((refs) => ask(refs), {
    cacheKeyFn: (r) => `${r.kind}:${r.id.toLowerCase()}`,
    maxBatchSize: MAX_REFS_PER_CALL,
  });
  const ownership = (kind: AccessKind, id: string) => loader.load({ kind, id });

  return {
    ownership,
    canRead: async (kind, id) => (await ownership(kind, id)).canRead,
    canWrite: async (kind, id) => (await ownership(kind, id)).canWrite,
    canManage: async (kind, id) => (await ownership(kind, id)).canManage,
  };
}
