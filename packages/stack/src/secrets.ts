/**
 * Secrets `npm start` provides when the operator did not: a per-start internal
 * signing secret, and a bootstrap admin API key kept in the data folder (mode
 * 0600) so a first-time user can call the API. Neither is ever logged.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const ADMIN_KEY_FILE = 'admin-api-key';

export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** Reads the stored admin key, or creates one. Returns the key and the file holding it. */
export function storedAdminKey(dataDir: string): { key: string; file: string } {
  const file = path.join(dataDir, ADMIN_KEY_FILE);
  if (existsSync(file)) {
    const key = readFileSync(file, 'utf8').trim();
    if (key.length >= 16) return { key, file };
  }
  const key = `lab_admin_${randomBytes(24).toString('base64url')}`;
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return { key, file };
}
