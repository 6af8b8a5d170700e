/**
 * The scope vocabulary's implications (docs/api/identity-and-scopes.md, Scopes): `admin` implies
 * `write` and `read`, `write` implies `read`, `*` grants everything. The
 * gateway checks fields against them; the registry checks that a key grants
 * no scope its creator lacks.
 */

export const SCOPE_IMPLICATIONS: Readonly<Record<string, readonly string[]>> = { admin: ['write', 'read'], write: ['read'] };

/** The scopes with their implications; undefined for `*` (everything). */
export function impliedScopes(scopes: readonly string[]): ReadonlySet<string> | undefined {
  const granted = new Set<string>();
  const pending = [...scopes];
  while (pending.length > 0) {
    const scope = pending.pop() as string;
    if (scope === '*') return undefined;
    if (granted.has(scope)) continue;
    granted.add(scope);
    pending.push(...(SCOPE_IMPLICATIONS[scope] ?? []));
  }
  return granted;
}

/** The scopes of `wanted` that `held` does not grant (none when held grants them all). */
export function scopesBeyond(held: readonly string[], wanted: readonly string[]): string[] {
  const granted = impliedScopes(held);
  if (!granted) return [];
  return wanted.filter((scope) => !granted.has(scope));
}
