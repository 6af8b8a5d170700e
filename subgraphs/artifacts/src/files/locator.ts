/**
 * Where an owner's files live needs its parent's id (a run's experiment, a
 * dataset version's dataset, a model version's model). The registry knows;
 * the artifacts service asks it as itself (an internal service caller) after
 * the end user's access was checked, batched per tick, and keeps the answers:
 * these links never change.
 */
import type { Caller } from '@lab/shared';
import { createServiceClient, ServiceUnreachableError, serviceUnavailable } from '@lab/shared/internal';
import DataLoader from 'dataloader';
import type { LocatedOwner, Owner, OwnerKind } from './owners';

export const ARTIFACTS_SERVICE_CALLER: Caller = { id: 'artifacts', kind: 'service', scopes: ['*'] };

const FIELD: Record<OwnerKind, string> = {
  RUN: 'run(id: $v) { experiment { id } }',
  DATASET_VERSION: 'datasetVersion(id: $v) { dataset { id } }',
  MODEL_VERSION: 'modelVersion(id: $v) { model { id } }',
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
  const client = createServiceClient(options);
  const unavailable = (reason: string) => serviceUnavailable('registry', 'look owners up in the registry', reason);

  async function ask(owners: readonly Owner[]): Promise<(string | undefined)[]> {
    const lookups = owners.map((o) => ({ field: FIELD[o.kind], type: 'ID!', value: o.id }));
    const requestId = `artifacts-owners-${Date.now().toString(36)}`;
    let answer: Awaited<ReturnType<typeof client.lookups<Answer>>>;
    try {
      answer = await client.lookups<Answer>(options.registryUrl, 'ArtifactOwners', lookups, {
        caller: ARTIFACTS_SERVICE_CALLER,
        requestId,
        timeoutMs: options.timeoutMs ?? 5_000,
      });
    } catch (err) {
      throw unavailable(err instanceof ServiceUnreachableError && err.timedOut ? 'timed out' : 'unreachable');
    }
    if (!answer.answered) throw unavailable('unreachable');
    if (answer.answers.every((a) => a === undefined)) {
      // A non-null root field (run) that is NOT_FOUND voids the whole answer: ask one by one.
      if (owners.length > 1) return (await Promise.all(owners.map((o) => ask([o])))).flat();
      return [undefined];
    }
    return answer.answers.map((a) => a?.experiment?.id ?? a?.dataset?.id ?? a?.model?.id);
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
