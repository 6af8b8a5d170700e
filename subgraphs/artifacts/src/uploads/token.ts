/**
 * The upload id clients hold between requestUpload and completeUpload: what
 * was asked (owner, key, size, checksum, the S3 multipart upload id and part
 * size), signed with the internal secret so the platform keeps no state of its
 * own and a client cannot change a single byte of it. Valid for a day, like
 * the sweep that aborts abandoned multipart uploads.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { labError } from '@lab/shared';
import type { OwnerKind } from '../files/owners';

export const UPLOAD_TTL_MS = 24 * 60 * 60 * 1000;

export interface UploadTicket {
  v: 1;
  kind: OwnerKind;
  owner: string;
  key: string;
  name: string;
  size: number;
  contentType: string;
  sha256?: string;
  /** The S3 multipart upload id; absent for a single PUT. */
  multipart?: string;
  partSize?: number;
  /** Epoch ms the upload was requested. */
  at: number;
}

const mac = (secret: string, body: string) => createHmac('sha256', `artifacts-upload:${secret}`).update(body).digest();

export function signTicket(secret: string, ticket: UploadTicket): string {
  const body = Buffer.from(JSON.stringify(ticket)).toString('base64url');
  return `${body}.${mac(secret, body).toString('base64url')}`;
}

export function readTicket(secret: string, uploadId: string, now = Date.now()): UploadTicket {
  const bad = () => labError('BAD_USER_INPUT', 'uploadId is not an upload id issued by requestUpload', { field: 'uploadId' });
  const [body, signature, ...rest] = uploadId.split('.');
  if (!body || !signature || rest.length > 0) throw bad();
  const given = Buffer.from(signature, 'base64url');
  const expected = mac(secret, body);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw bad();
  const ticket = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as UploadTicket;
  if (ticket.v !== 1) throw bad();
  if (now - ticket.at > UPLOAD_TTL_MS) {
    throw labError('BAD_USER_INPUT', 'this upload was requested more than a day ago and has expired; request a new one', {
      field: 'uploadId',
    });
  }
  return ticket;
}
