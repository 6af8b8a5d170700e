/** Store failures a user caused, told as registered error codes. */
import { labError } from '@lab/shared';
import type { GraphQLError } from 'graphql';

interface KnownRequestError {
  code: string;
  meta?: { target?: unknown; field_name?: unknown; modelName?: unknown };
}

function isKnown(err: unknown): err is KnownRequestError {
  return (
    typeof err === 'object' &&
    err !== null &&
    typeof (err as { code?: unknown }).code === 'string' &&
    /^P\d{4}$/.test((err as { code: string }).code)
  );
}

/**
 * Maps Prisma's unique (P2002), missing-row (P2025) and foreign-key (P2003)
 * errors to CONFLICT, NOT_FOUND and BAD_USER_INPUT; anything else is rethrown.
 * `what` names the thing being written, e.g. 'experiment "baseline"'.
 */
export function storeError(err: unknown, what: string): GraphQLError | unknown {
  if (!isKnown(err)) return err;
  switch (err.code) {
    case 'P2002':
      return labError('CONFLICT', `${what} already exists`);
    case 'P2025':
      return labError('NOT_FOUND', `${what} not found`);
    case 'P2003':
      return labError('BAD_USER_INPUT', `${what} refers to something that does not exist`);
    default:
      return err;
  }
}

/** Runs a write and rethrows store errors as user errors. */
export async function writing<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw storeError(err, what);
  }
}
