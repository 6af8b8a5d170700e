/**
 * The credential making a request, as the registry knows it at this moment.
 * Identity mutations (users, API keys, memberships) check it here, uncached,
 * instead of trusting what the gateway cached: an API key (`caller.apiKeyId`)
 * must still be live and belong to the caller, and its user's admin flag is
 * read again; a JWT's expiry travels signed in `caller.expiresAt`; the
 * bootstrap admin and internal services have no credential to look up.
 */
import { labError } from '@lab/shared';
import type { RegistryContext } from '../../context';
import { actingKeyNotLive } from '../../store/identityStore';

export interface ActingCredential {
  /** The acting key's id, when the caller authenticated with an API key. */
  apiKeyId?: string;
  scopes: string[];
  /** When the credential stops working; null: never. */
  expiresAt: Date | null;
  /** Whether its user is an admin now (the bootstrap admin always). */
  isAdmin: boolean;
}

export async function actingCredential(ctx: RegistryContext, now = new Date()): Promise<ActingCredential> {
  const { caller } = ctx;
  if (caller.apiKeyId !== undefined) {
    const [found] = await ctx.store.identity.liveApiKeys([String(caller.apiKeyId)], now);
    if (!found || found.key.userId !== caller.id) throw actingKeyNotLive();
    return { apiKeyId: found.key.id, scopes: found.key.scopes, expiresAt: found.key.expiresAt, isAdmin: found.user.isAdmin };
  }
  if (typeof caller.expiresAt === 'number' && caller.expiresAt <= now.getTime()) {
    throw labError('UNAUTHENTICATED', 'The credential making this request has expired');
  }
  return {
    scopes: caller.scopes,
    expiresAt: typeof caller.expiresAt === 'number' ? new Date(caller.expiresAt) : null,
    isAdmin: caller.kind === 'admin',
  };
}
