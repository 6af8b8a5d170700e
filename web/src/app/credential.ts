/**
 * The signed-in credential (an API key or a JWT, both sent as a Bearer
 * token): kept in sessionStorage, so it lives for this tab only, and never
 * put in a URL or a log.
 */
const KEY = 'lab.credential';

export function loadCredential(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function saveCredential(token: string): void {
  sessionStorage.setItem(KEY, token);
}

export function clearCredential(): void {
  sessionStorage.removeItem(KEY);
}
