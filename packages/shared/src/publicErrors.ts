/**
 * Error texts a client may read. A failure between services or in a store
 * carries addresses (host:port, URLs), internal routes, driver messages and
 * stacks: those belong in the server log. What reaches a client (a GraphQL
 * error, an Operation's error or result, a reconciliation report) says what
 * failed in the platform's own words, e.g. "the artifacts service is unavailable".
 */
import { GraphQLError } from 'graphql';
import { isExpectedErrorCode } from './errors';

/**
 * What never belongs in a client-visible text: a URL, a loopback or IP
 * address, a host:port, an internal route, a stack frame.
 */
const INTERNAL_DETAIL = [
  /\b[a-z][a-z0-9+.-]*:\/\//i,
  /\blocalhost\b/i,
  /\b\d{1,3}(?:\.\d{1,3}){3}\b/,
  /\[[0-9a-f]*:[0-9a-f:]*\]/i,
  /\b[a-z][a-z0-9-]*(?:\.[a-z0-9-]+)*:\d{2,5}\b/i,
  /\/internal\//,
  /\n\s*at\s/,
  /\bE(?:CONNREFUSED|CONNRESET|HOSTUNREACH|NOTFOUND|AI_AGAIN|PIPE)\b/,
];

/** Whether `text` shows an address, an internal route or a stack. */
export function mentionsInternals(text: string): boolean {
  return INTERNAL_DETAIL.some((pattern) => pattern.test(text));
}

/** An error that carries, beside its message for the log, a text written for clients. */
export interface WithPublicMessage {
  publicMessage: string;
}

function hasPublicMessage(err: unknown): err is WithPublicMessage {
  return typeof (err as { publicMessage?: unknown } | null | undefined)?.publicMessage === 'string';
}

/**
 * The text a client may read about `err`: its public message (internal calls,
 * the platform's own refusals), or the message of a coded GraphQL error; any
 * other error (a driver's, a bug), or a text that shows an address or route,
 * is answered `fallback`. Log `err` itself for the details.
 */
export function publicReason(err: unknown, fallback: string): string {
  let text: string | undefined;
  if (hasPublicMessage(err)) text = err.publicMessage;
  else if (err instanceof GraphQLError && isExpectedErrorCode(err.extensions.code)) text = err.message;
  return text !== undefined && text.length > 0 && !mentionsInternals(text) ? text : fallback;
}
