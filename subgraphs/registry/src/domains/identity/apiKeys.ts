/**
 * API key secrets: `lab_<prefix>_<random>`, 8 + 40 base62 characters from the
 * system CSPRNG (about 238 bits in the random part). Only the SHA-256 (hex) of
 * the whole secret is stored, and the visible `lab_<prefix>` to recognise it.
 */
import { createHash, randomBytes } from 'node:crypto';

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
export const PREFIX_LENGTH = 8;
export const RANDOM_LENGTH = 40;
export const API_KEY_PATTERN = /^lab_[A-Za-z0-9]{8}_[A-Za-z0-9]{40}$/;

/** Uniform base62 characters (rejection sampling: bytes >= 248 are dropped, so no character is favoured). */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248 && out.length < length) out += BASE62[byte % 62];
    }
  }
  return out;
}

export function hashApiKey(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function newApiKeySecret(): { secret: string; prefix: string; hash: string } {
  const prefix = `lab_${randomBase62(PREFIX_LENGTH)}`;
  const secret = `${prefix}_${randomBase62(RANDOM_LENGTH)}`;
  return { secret, prefix, hash: hashApiKey(secret) };
}
