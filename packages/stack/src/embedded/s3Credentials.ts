/**
 * The key pair of the embedded S3 server: made at its first start and kept in
 * its data folder (`.credentials`, mode 0600) so that restarts, `npm run
 * backup` and URLs presigned before a restart keep working. Nothing else in
 * that folder is a bucket name, so s3rver never lists it. Never logged.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { S3Credentials } from './s3Signature';

export const CREDENTIALS_FILE = '.credentials';
const ACCESS_KEY_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function newCredentials(): S3Credentials {
  const id = [...randomBytes(17)].map((b) => ACCESS_KEY_ALPHABET[b % 32]).join('');
  return { accessKeyId: `LAB${id}`, secretAccessKey: randomBytes(30).toString('base64url') };
}

/** The stored key pair of the embedded S3 server in `dataDir`; undefined when it has none (never started there). */
export function readEmbeddedS3Credentials(dataDir: string): S3Credentials | undefined {
  const file = path.join(dataDir, CREDENTIALS_FILE);
  if (!existsSync(file)) return undefined;
  const stored = JSON.parse(readFileSync(file, 'utf8')) as Partial<S3Credentials>;
  if (typeof stored.accessKeyId !== 'string' || typeof stored.secretAccessKey !== 'string') {
    throw new Error(`${file} does not hold an S3 key pair; delete it to have a new one made`);
  }
  return { accessKeyId: stored.accessKeyId, secretAccessKey: stored.secretAccessKey };
}

/** The stored key pair, made and stored first when there is none. */
export function embeddedS3Credentials(dataDir: string): S3Credentials {
  const stored = readEmbeddedS3Credentials(dataDir);
  if (stored) return stored;
  const made = newCredentials();
  try {
    writeFileSync(path.join(dataDir, CREDENTIALS_FILE), `${JSON.stringify(made)}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    // Another process made them first: use those.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return readEmbeddedS3Credentials(dataDir) as S3Credentials;
    throw err;
  }
  return made;
}
