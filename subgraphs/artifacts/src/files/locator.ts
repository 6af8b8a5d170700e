/**
 * Where an owner's files live needs its parent's id (a run's experiment, a
 * dataset version's dataset, a model version's model). The registry knows;
 * the artifacts service asks it as itself (an internal service caller) after
 * the end user's access was checked, batched per tick, and keeps the answers:
 * these links never change.
 */
import { type Caller, labError, signedJsonHeaders } from '@lab/shared';
import DataLoader from 'dataloader';
import type { LocatedOwner, Owner, OwnerKind } from './owners';

export const ARTIFACTS_SERVICE_CALLER: Caller = { id: 'artifacts', kind: 'service', scopes: ['*'] };

const FIELD: Record<OwnerKind, (v: string) => string> = {
  RUN: (v) => `run(id: ${v}) { experiment { id } }`,
  DATASET_VERSION: (v) => `datasetVersion(id: ${v}) { dataset { id } }`,
  MODEL_VERSION: (v) => `modelVersion(id: ${v}) { model { id } }`,
};

type Answer = { experiment?: { id: string }; dataset?: { id: string }; model?: { id: string } } | null;

export interface OwnerLocator {
  /** The owner with its parent id; undefined when the registry does not know it. */
  locate(owner: Owner): Promise<LocatedOwner | undefined>;
}

export function createOwnerLocator(options: { registryUrl: string; internalSecret: string; timeoutMs?: number }): OwnerLocator {
  const known = new Map<string, string>();
  const MAX_KNOWN = 100_000;
  const cacheKey = (o: Owner) => `${o.kind}:${o.id.toLowerCase()}`;
  const unavailable = (reason: string) =>
    labError('SERVICE_UNAVAILABLE', `Cannot look owners up in the registry: ${reason}`, { service: 'registry' });

  async function ask(owners: readonly Owner[]): Promise<(string | undefined)[]> {
    const vars = owners.map((_, i) => `$i${i}: ID!`).join(', ');
    const fields = owners.map((o, i) => `o${i}: ${FIELD[o.kind](`$i${i}`)}`).join(' ');
    const query = `query ArtifactOwners(${vars}) { ${fields} }`;
    const requestId = `artifacts-owners-${Date.now().toString(36)}`;
    let body: { data?: Record<string, Answer> | null; errors?: { message?: string; path?: (string | number)[] }[] };
    try {
      const response = await fetch(options.registryUrl, {
        method: 'POST',
        headers: signedJsonHeaders(options.internalSecret, { requestId, caller: ARTIFACTS_SERVICE_CALLER, query }),
        body: JSON.stringify({ query, variables: Object.fromEntries(owners.map((o, i) => [`i${i}`, o.id])) }),
        signal: AbortSignal.timeout(options.timeoutMs ?? 5_000),
      });
      body = (await response.json()) as typeof body;
    } catch (err) {
      throw unavailable(err instanceof Error && err.name === 'TimeoutError' ? 'timed out' : 'unreachable');
    }
    if (!body.data) {
      // A non-null root field (run) that is NOT_FOUND voids the whole answer: ask one by one.
      if (owners.length > 1) return (await Promise.all(owners.map((o) => ask([o])))).flat();
      return [undefined];
    }
    const data = body.data;
    return owners.map((_, i) => {
      const a = data[`o${i}`];
      return a?.experiment?.id ?? a?.dataset?.id ?? a?.model?.id;
    });
  }

  const loader = new DataLoader<Owner, string | undefined, string>(ask, {
    cacheKeyFn: cacheKey,
    maxBatchSize: 100,
    cache: false,
  });

  return {
    async locate(owner) {
      const k = cacheKey(owner);
      let parentId = known.get(k);
      if (!parentId) {
        parentId = await loader.load(owner);
        if (!parentId) return undefined;
        if (known.size >= MAX_KNOWN) known.clear();
        known.set(k, parentId);
      }
      return { kind: owner.kind, id: owner.id.toLowerCase(), parentId };
    },
  };
}
