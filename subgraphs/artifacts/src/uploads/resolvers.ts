/**
 * Uploads: requestUpload answers one presigned PUT or a multipart plan,
 * uploadPartUrls pages through part URLs, completeUpload verifies (size, and
 * SHA-256 when declared) and completes, abortUpload cancels, and
 * sweepIncompleteUploads (admins) aborts abandoned multipart uploads.
 * Access: WRITE (EDITOR) on the owner, checked on every call.
 */
import { checkFileName, labError } from '@lab/shared';
import type { ArtifactsContext } from '../context';
import { checkChecksum, checkContentType } from '../files/names';
import { OWNER_KINDS, type OwnerKind, prefixOf } from '../files/owners';
import { artifactOf } from '../files/resolvers';
import { describeError, errorName } from '../store/s3Errors';
import { FIRST_PAGE_PARTS, MAX_PAGE_PARTS, partBytes, planUpload } from './plan';
import { readTicket, signTicket, UPLOAD_TTL_MS, type UploadTicket } from './token';

export const DEFAULT_UPLOAD_SECONDS = 60 * 60;
export const MAX_UPLOAD_SECONDS = 12 * 60 * 60;
const MAX_KEY_BYTES = 1024;
/** Tolerated difference between the S3 server's clock and ours when telling a fresh object from an older one. */
const CLOCK_SKEW_MS = 60_000;

interface RequestUploadInput {
  ownerKind: OwnerKind;
  ownerId: string;
  name: string;
  contentType?: string | null;
  sizeBytes: number;
  checksum?: string | null;
  expiresIn?: number | null;
  overwrite?: boolean | null;
}

function checkExpiresIn(expiresIn: number | null | undefined): number {
  const seconds = expiresIn ?? DEFAULT_UPLOAD_SECONDS;
  if (!Number.isInteger(seconds) || seconds < 60 || seconds > MAX_UPLOAD_SECONDS) {
    throw labError('BAD_USER_INPUT', `expiresIn must be 60 to ${MAX_UPLOAD_SECONDS} seconds`, { field: 'expiresIn' });
  }
  return seconds;
}

async function partUrls(ctx: ArtifactsContext, t: UploadTicket, from: number, count: number, expiresIn: number) {
  const plan = { sizeBytes: t.size, partSize: t.partSize as number };
  const partCount = Math.ceil(t.size / plan.partSize);
  const last = Math.min(partCount, from + count - 1);
  const numbers = Array.from({ length: Math.max(0, last - from + 1) }, (_, i) => from + i);
  return Promise.all(
    numbers.map(async (partNumber) => ({
      partNumber,
      sizeBytes: partBytes(plan, partNumber),
      url: await ctx.artifacts.store.uploads.partUrl(t.key, t.multipart as string, partNumber, expiresIn),
    })),
  );
}

async function ticketFor(ctx: ArtifactsContext, uploadId: string): Promise<UploadTicket> {
  const ticket = readTicket(ctx.artifacts.settings.internalSecret, uploadId);
  await ctx.artifacts.owner({ kind: ticket.kind, id: ticket.owner }, 'WRITE');
  return ticket;
}

function checkParts(t: UploadTicket, parts: { partNumber: number; etag: string }[] | null | undefined) {
  const partCount = Math.ceil(t.size / (t.partSize as number));
  if (!parts || parts.length !== partCount) {
    throw labError('BAD_USER_INPUT', `parts must list all ${partCount} parts with the ETag each part upload answered`, {
      field: 'parts',
    });
  }
  const sorted = [...parts].sort((a, b) => a.partNumber - b.partNumber);
  sorted.forEach((p, i) => {
    if (p.partNumber !== i + 1) {
      throw labError('BAD_USER_INPUT', `parts must number 1 to ${partCount}, each once`, { field: 'parts' });
    }
    if (p.etag.length === 0 || p.etag.length > 1024)
      throw labError('BAD_USER_INPUT', `part ${p.partNumber} has no ETag`, { field: 'parts' });
  });
  return sorted;
}

const PART_ERRORS = new Set(['InvalidPart', 'InvalidPartOrder', 'EntityTooSmall']);

export const uploadsResolvers = {
  Mutation: {
    requestUpload: async (_: unknown, { input }: { input: RequestUploadInput }, ctx: ArtifactsContext) => {
      if (!OWNER_KINDS.includes(input.ownerKind)) throw labError('BAD_USER_INPUT', 'unknown ownerKind', { field: 'ownerKind' });
      const name = checkFileName(input.name);
      const contentType = checkContentType(input.contentType);
      const sha256 = checkChecksum(input.checksum);
      const expiresIn = checkExpiresIn(input.expiresIn);
      const plan = planUpload(input.sizeBytes, ctx.artifacts.settings);
      const owner = await ctx.artifacts.owner({ kind: input.ownerKind, id: input.ownerId }, 'WRITE');
      const key = prefixOf(owner) + name;
      if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) {
        throw labError('BAD_USER_INPUT', `name is too long: the object key would pass S3's ${MAX_KEY_BYTES} bytes`, {
          field: 'name',
        });
      }
      if (!input.overwrite && (await ctx.artifacts.store.files.head(key))) {
        throw labError('CONFLICT', `${name} already exists under this owner; pass overwrite: true to replace it`, {
          field: 'name',
        });
      }
      const object = { key, size: plan.sizeBytes, contentType, sha256, uploadedBy: ctx.caller.id };
      const at = Date.now();
      const expiresAt = new Date(at + expiresIn * 1000).toISOString();
      const base = {
        v: 1 as const,
        kind: owner.kind,
        owner: owner.id,
        key,
        name,
        size: plan.sizeBytes,
        contentType,
        ...(sha256 ? { sha256 } : {}),
        at,
      };
      const secret = ctx.artifacts.settings.internalSecret;
      if (plan.method === 'SINGLE') {
        const url = await ctx.artifacts.store.uploads.putUrl(object, expiresIn);
        return {
          uploadId: signTicket(secret, base),
          method: 'SINGLE',
          key,
          name,
          url,
          headers: [{ name: 'content-type', value: contentType }],
          partSize: null,
          partCount: null,
          parts: [],
          expiresAt,
          completeBy: new Date(at + UPLOAD_TTL_MS).toISOString(),
        };
      }
      const multipart = await ctx.artifacts.store.uploads.startMultipart(object);
      const ticket: UploadTicket = { ...base, multipart, partSize: plan.partSize };
      return {
        uploadId: signTicket(secret, ticket),
        method: 'MULTIPART',
        key,
        name,
        url: null,
        headers: [],
        partSize: plan.partSize,
        partCount: plan.partCount,
        parts: await partUrls(ctx, ticket, 1, FIRST_PAGE_PARTS, expiresIn),
        expiresAt,
        completeBy: new Date(at + UPLOAD_TTL_MS).toISOString(),
      };
    },

    uploadPartUrls: async (
      _: unknown,
      args: { uploadId: string; firstPart?: number | null; count?: number | null; expiresIn?: number | null },
      ctx: ArtifactsContext,
    ) => {
      const ticket = await ticketFor(ctx, args.uploadId);
      if (!ticket.multipart)
        throw labError('BAD_USER_INPUT', 'this upload is a single PUT: it has no parts', { field: 'uploadId' });
      const partCount = Math.ceil(ticket.size / (ticket.partSize as number));
      const firstPart = args.firstPart ?? 1;
      const count = args.count ?? FIRST_PAGE_PARTS;
      if (!Number.isInteger(firstPart) || firstPart < 1 || firstPart > partCount) {
        throw labError('BAD_USER_INPUT', `firstPart must be 1 to ${partCount}`, { field: 'firstPart' });
      }
      if (!Number.isInteger(count) || count < 1 || count > MAX_PAGE_PARTS) {
        throw labError('BAD_USER_INPUT', `count must be 1 to ${MAX_PAGE_PARTS}`, { field: 'count' });
      }
      return partUrls(ctx, ticket, firstPart, count, checkExpiresIn(args.expiresIn));
    },

    completeUpload: async (
      _: unknown,
      args: { uploadId: string; parts?: { partNumber: number; etag: string }[] | null },
      ctx: ArtifactsContext,
    ) => {
      const t = await ticketFor(ctx, args.uploadId);
      const { uploads, files } = ctx.artifacts.store;
      const owner = { kind: t.kind, id: t.owner };
      let versionId: string | undefined;
      if (t.multipart) {
        if (!(await uploads.isOpen(t.multipart))) {
          // Completed before (a retried call answers the same file) or aborted.
          const done = await files.head(t.key);
          if (done && done.size === t.size && done.lastModified.getTime() >= t.at - CLOCK_SKEW_MS)
            return artifactOf(owner, t.name, done);
          throw labError('CONFLICT', 'this upload was aborted or has expired; request a new one');
        }
        const parts = checkParts(t, args.parts);
        try {
          ({ versionId } = await uploads.completeMultipart(t.key, t.multipart, parts));
        } catch (err) {
          if (PART_ERRORS.has(errorName(err)))
            throw labError('BAD_USER_INPUT', `S3 refused the parts: ${describeError(err)}`, { field: 'parts' });
          if (errorName(err) === 'NoSuchUpload')
            throw labError('CONFLICT', 'this upload was aborted or has expired; request a new one');
          throw err;
        }
      }
      const head = await files.head(t.key, versionId);
      if (!head || head.lastModified.getTime() < t.at - CLOCK_SKEW_MS) {
        throw labError('CONFLICT', 'nothing has been uploaded for this upload yet: PUT the file to the URL first');
      }
      const refuse = async (why: string, field: string) => {
        await files.delete(t.key, head.versionId);
        return labError('BAD_USER_INPUT', `${why}; the uploaded object was deleted`, { field });
      };
      if (head.size !== t.size) throw await refuse(`the upload has ${head.size} bytes, ${t.size} were announced`, 'sizeBytes');
      if (t.sha256) {
        const actual = await files.sha256(t.key, head.versionId);
        if (actual !== t.sha256)
          throw await refuse(`the upload's SHA-256 is ${actual}, not the announced ${t.sha256}`, 'checksum');
      }
      ctx.log.info({ key: t.key, size: t.size, multipart: Boolean(t.multipart), versionId: head.versionId }, 'upload completed');
      return artifactOf(owner, t.name, head);
    },

    abortUpload: async (_: unknown, args: { uploadId: string }, ctx: ArtifactsContext) => {
      const t = await ticketFor(ctx, args.uploadId);
      if (t.multipart) await ctx.artifacts.store.uploads.abortMultipart(t.key, t.multipart);
      return true;
    },

    sweepIncompleteUploads: async (_: unknown, args: { olderThanHours?: number | null }, ctx: ArtifactsContext) => {
      if (ctx.caller.kind !== 'admin' && ctx.caller.kind !== 'service') {
        throw labError('FORBIDDEN', 'sweepIncompleteUploads is for admins');
      }
      const hours = args.olderThanHours ?? 24;
      if (!Number.isFinite(hours) || hours < 0 || hours > 24 * 30) {
        throw labError('BAD_USER_INPUT', 'olderThanHours must be 0 to 720', { field: 'olderThanHours' });
      }
      return ctx.artifacts.store.uploads.sweep(hours * 3_600_000);
    },
  },
};
