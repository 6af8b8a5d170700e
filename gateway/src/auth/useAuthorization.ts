/**
 * @authenticated and @requiresScopes, enforced at the gateway before any
 * subgraph is called (docs/api/identity-and-scopes.md, Scopes). An Apollo Server plugin:
 *
 * - didResolveOperation: the operation is checked against the supergraph's
 *   directives for the caller (authorizeOperation.ts). When fields must go,
 *   the request's document becomes the rewritten one, and its query hash
 *   one that names the rewrite, so Apollo Gateway plans and caches it apart
 *   from the full operation of a caller with more rights.
 * - responseForOperation: when nothing is left to run (every root field
 *   removed, or a removal voids `data`), answers without calling anything.
 * - willSendResponse: the removed fields are answered null (placeholders
 *   dropped) with one error each: FORBIDDEN (scopes) or UNAUTHENTICATED
 *   (@authenticated, or any requirement without a caller) on its path.
 *
 * Options:
 * - supergraphSdl: where the directives are read (required).
 * - cacheSize: rewrites remembered per (operation, caller rights); default 1000.
 */

import { createHash } from 'node:crypto';
import { type ApolloServerPlugin, type GraphQLRequestContext, HeaderMap } from '@apollo/server';
import type { Caller } from '@lab/shared';
import { type DocumentNode, GraphQLError, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import type { GatewayContext } from '../context';
import {
  type AuthorizationPolicy,
  type AuthorizedOperation,
  authorizeOperation,
  completeAnswer,
  policyIsEmpty,
  readAuthorizationPolicy,
  rightsKey,
} from './authorizeOperation';

export interface UseAuthorizationOptions {
  supergraphSdl: string;
  /** Rewrites remembered per (operation, caller rights), oldest dropped first (default 1000). */
  cacheSize?: number;
}

export const DEFAULT_AUTHORIZATION_CACHE_SIZE = 1000;

const SECURITY_LINK =
  /(@link\(\s*url:\s*"https:\/\/specs\.apollo\.dev\/(?:authenticated|requiresScopes)\/v[0-9.]+"(?:\s*,\s*as:\s*"[^"]*")?)\s*,\s*for:\s*SECURITY(?=\s*\))/g;

/**
 * The supergraph as Apollo Gateway (and the subscription planner) must be
 * given it when this plugin is installed. A stock gateway refuses a
 * supergraph linking @authenticated or @requiresScopes `for: SECURITY`,
 * rightly: it would not enforce them. This plugin does, so their links lose
 * the `for: SECURITY` mark there; the directives stay, and the plugin reads
 * them from the same text.
 */
export function enforcedSupergraph(supergraphSdl: string): string {
  return supergraphSdl.replace(SECURITY_LINK, '$1');
}

const NOTHING_REMOVED = 'nothing removed';

/**
 * For operations that do not pass through Apollo Server (subscriptions over
 * WebSocket): the errors refusing the operation when the caller may not see
 * some field of it, or undefined. A subscription is refused whole rather than
 * streamed with holes.
 */
export function authorizationCheck(
  supergraphSdl: string,
): (input: {
  schema: GraphQLSchema;
  document: DocumentNode;
  operationName?: string | null;
  caller: Caller | undefined;
}) => GraphQLError[] | undefined {
  const policy = readAuthorizationPolicy(supergraphSdl);
  return (input) => {
    if (policyIsEmpty(policy)) return undefined;
    const authorized = authorizeOperation({ ...input, policy });
    return authorized?.removals.map((r) => new GraphQLError(r.message, { path: r.path, extensions: { code: r.code } }));
  };
}

const formattedErrors = (authorized: AuthorizedOperation): GraphQLFormattedError[] =>
  authorized.removals.map((r) => ({
    message: r.message,
    ...(r.locations ? { locations: r.locations } : {}),
    path: r.path,
    extensions: { code: r.code },
  }));

export function useAuthorization(options: UseAuthorizationOptions): ApolloServerPlugin<GatewayContext> {
  const policy: AuthorizationPolicy = readAuthorizationPolicy(options.supergraphSdl);
  const cacheSize = options.cacheSize ?? DEFAULT_AUTHORIZATION_CACHE_SIZE;
  const cache = new Map<string, AuthorizedOperation | typeof NOTHING_REMOVED>();
  if (policyIsEmpty(policy)) return {};

  function authorize(requestContext: GraphQLRequestContext<GatewayContext>): AuthorizedOperation | undefined {
    const { document, schema, queryHash, operationName } = requestContext;
    if (!document) return undefined;
    const caller = requestContext.contextValue.caller;
    const key = `${queryHash}\u0000${operationName ?? ''}\u0000${rightsKey(caller)}`;
    const known = queryHash ? cache.get(key) : undefined;
    if (known) return known === NOTHING_REMOVED ? undefined : known;
    const result = authorizeOperation({ schema, policy, document, operationName, caller });
    if (queryHash) {
      cache.set(key, result ?? NOTHING_REMOVED);
      if (cache.size > cacheSize) cache.delete(cache.keys().next().value as string);
    }
    return result;
  }

  return {
    async requestDidStart() {
      let authorized: AuthorizedOperation | undefined;
      return {
        async didResolveOperation(requestContext) {
          if (requestContext.operation?.operation === 'subscription') return;
          authorized = authorize(requestContext);
          if (!authorized) return;
          const rewritten = requestContext as unknown as { document: unknown; operation: unknown; queryHash: string };
          rewritten.document = authorized.document;
          rewritten.operation = authorized.document.definitions[0];
          rewritten.queryHash = createHash('sha256')
            .update(`${requestContext.queryHash}\u0000${authorized.signature}`)
            .digest('hex');
        },
        async responseForOperation() {
          if (!authorized?.nothingToRun) return null;
          return {
            http: { status: undefined, headers: new HeaderMap() },
            body: { kind: 'single', singleResult: { data: completeAnswer(authorized, {}) } },
          };
        },
        async willSendResponse(requestContext) {
          if (!authorized) return;
          const body = requestContext.response.body;
          if (body.kind !== 'single') return;
          const result = body.singleResult;
          result.data = completeAnswer(authorized, result.data as Record<string, unknown> | null | undefined);
          result.errors = [...formattedErrors(authorized), ...(result.errors ?? [])];
        },
      };
    },
  };
}
