/** @authenticated and @requiresScopes read from a supergraph and applied to operations: fields removed, errors on their paths. */
import { readFile } from 'node:fs/promises';
import { buildASTSchema, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { authorizeOperation, effectiveScopes, readAuthorizationPolicy } from './authorizeOperation';
import { enforcedSupergraph } from './useAuthorization';

const SUPERGRAPH_HEAD = `schema
  @link(url: "https://specs.apollo.dev/link/v1.0")
  @link(url: "https://specs.apollo.dev/authenticated/v0.1", as: "signedIn", for: SECURITY)
  @link(url: "https://specs.apollo.dev/requiresScopes/v0.1", for: SECURITY)
{ query: Query }`;
const TYPES = `
  type Query { me: User @signedIn, open: Int, secret: Secret }
  type User { id: ID!, note: String @requiresScopes(scopes: [["admin"], ["audit", "read"]]) }
  type Secret @requiresScopes(scopes: [["admin"]]) { value: String }`;
const schema = buildASTSchema(parse(`${TYPES.replace(/@\w+(\(scopes: [^)]*\))?/g, '')} schema { query: Query }`));
const policy = readAuthorizationPolicy(`${SUPERGRAPH_HEAD}\n${TYPES}`);
const run = (query: string, scopes?: string[]) =>
  authorizeOperation({
    schema,
    policy,
    document: parse(query),
    caller: scopes && { id: 'u', kind: 'user', scopes },
  });

describe('the policy read from a supergraph', () => {
  it('follows the names the @link gives the directives, on fields and on types', () => {
    expect(policy.fields.get('Query.me')).toEqual({ authenticated: true, scopes: [] });
    expect(policy.fields.get('User.note')?.scopes).toEqual([[['admin'], ['audit', 'read']]]);
    expect(policy.types.get('Secret')?.scopes).toEqual([[['admin']]]);
    expect(policy.fields.has('Query.open')).toBe(false);
  });

  it('reads the committed supergraph: writes need write, API key management admin', async () => {
    const committed = readAuthorizationPolicy(
      await readFile(new URL('../../../schema/supergraph.graphql', import.meta.url), 'utf8'),
    );
    expect(committed.fields.get('Query.experiments')?.scopes).toEqual([[['read']]]);
    expect(committed.fields.get('Mutation.startRun')?.scopes).toEqual([[['write']]]);
    expect(committed.fields.get('Mutation.createApiKey')?.scopes).toEqual([[['admin']]]);
    expect(committed.fields.get('User.apiKeys')?.scopes).toEqual([[['admin']]]);
  });
});

describe('effectiveScopes', () => {
  it('expands admin ⊃ write ⊃ read; * is everything', () => {
    expect([...(effectiveScopes({ id: 'u', kind: 'user', scopes: ['admin'] }) ?? [])].sort()).toEqual(['admin', 'read', 'write']);
    expect([...(effectiveScopes({ id: 'u', kind: 'user', scopes: ['write', 'x:y'] }) ?? [])].sort()).toEqual([
      'read',
      'write',
      'x:y',
    ]);
    expect(effectiveScopes({ id: 'u', kind: 'admin', scopes: ['*'] })).toBeUndefined();
  });
});

describe('authorizeOperation', () => {
  it('changes nothing the caller may see', () => {
    expect(run('{ me { id } open }', ['read'])).toBeUndefined();
    expect(run('{ me { note } secret { value } }', ['*'])).toBeUndefined();
  });

  it('takes either set of scopes of an alternative, all of a set', () => {
    expect(run('{ me { note } }', ['audit', 'read'])).toBeUndefined();
    expect(run('{ me { note } }', ['audit'])?.removals.map((r) => r.message)).toEqual([
      "User.note needs the scope admin, or audit and read; the caller's scopes do not grant it",
    ]);
  });

  it('guards every field returning a guarded type', () => {
    const result = run('{ open secret { value } }', ['read']);
    expect(result?.removals.map((r) => [r.path, r.code])).toEqual([[['secret'], 'FORBIDDEN']]);
    expect(result?.nullPaths).toEqual([['secret']]);
  });

  it('answers UNAUTHENTICATED without a caller, and calls nothing when no root field is left', () => {
    const result = run('{ me { id } }');
    expect(result?.removals.map((r) => [r.path, r.code, r.message])).toEqual([
      [['me'], 'UNAUTHENTICATED', 'Query.me needs an authenticated caller'],
    ]);
    expect(result?.nothingToRun).toBe(true);
  });
});

describe('enforcedSupergraph', () => {
  it('drops only the for: SECURITY mark of the two enforced links', () => {
    const sdl = enforcedSupergraph(
      `${SUPERGRAPH_HEAD}\n  @link(url: "https://specs.apollo.dev/inaccessible/v0.2", for: SECURITY)`,
    );
    expect(sdl).toContain('@link(url: "https://specs.apollo.dev/authenticated/v0.1", as: "signedIn")');
    expect(sdl).toContain('@link(url: "https://specs.apollo.dev/requiresScopes/v0.1")');
    expect(sdl).toContain('@link(url: "https://specs.apollo.dev/inaccessible/v0.2", for: SECURITY)');
  });
});
